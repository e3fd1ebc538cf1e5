import { useEffect } from 'react';

/** Sets the document title ("… · Artigraph") while the page is shown. */
export function usePageTitle(title: string | undefined) {
  useEffect(() => {
    document.title = title ? `${title} · Artigraph` : 'Artigraph';
  }, [title]);
}
