/// <reference types="vite/client" />

declare module 'monaco-editor/esm/vs/editor/edcore.main.js' {
  export * from 'monaco-editor';
}
declare module 'monaco-editor/esm/vs/language/json/monaco.contribution.js';

// eslint-disable-next-line no-var
declare var MonacoEnvironment: { getWorker(id: string, label: string): Worker } | undefined;
