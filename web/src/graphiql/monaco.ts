// Stands in for 'monaco-editor' (see vite.config.ts): the editor core and the
// JSON language, without the dozens of languages GraphiQL never shows.
import 'monaco-editor/esm/vs/language/json/monaco.contribution.js';

export * from 'monaco-editor/esm/vs/editor/edcore.main.js';
