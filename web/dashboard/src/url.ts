/**
 * @module url
 * The view's state lives in the URL (`?page=service&from=…&channel=chat`), so a view can be shared and
 * the back button works.
 */
import { useCallback, useEffect, useState } from 'react';

export type UrlState = Record<string, string>;

function read(): UrlState {
  return Object.fromEntries(new URLSearchParams(window.location.search));
}

/** The URL's state and a setter that merges changes (an empty string removes a key). */
export function useUrlState(): [UrlState, (patch: UrlState) => void] {
  const [state, setState] = useState(read);
  useEffect(() => {
    const onPop = () => setState(read());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const update = useCallback((patch: UrlState) => {
    const params = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(patch)) v === '' ? params.delete(k) : params.set(k, v);
    const search = params.toString();
    window.history.pushState(null, '', search ? `?${search}` : window.location.pathname);
    setState(read());
  }, []);
  return [state, update];
}
