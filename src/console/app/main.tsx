import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiProblem, forgetKey, storedKey, storeKey, whenUnauthorized } from './api.js';
import { DefinitionPage, DefinitionsPage } from './DefinitionsPage.js';
import { MetricsPage } from './MetricsPage.js';
import { WorkflowPage } from './WorkflowPage.js';
import { WorkflowsPage } from './WorkflowsPage.js';
import type { Definition } from './types.js';

type Route = { page: 'workflows' } | { page: 'workflow'; id: string } | { page: 'definitions' } | { page: 'definition'; name: string } | { page: 'metrics' };

/** Routes live in the hash, so the server serves one page and a reload keeps the place (the key is never in it). */
function routeOf(hash: string): Route {
  const [, first = '', second] = hash.replace(/^#/, '').split('/');
  const decoded = second === undefined ? undefined : decodeURIComponent(second);
  if (first === 'workflows' && decoded !== undefined) return { page: 'workflow', id: decoded };
  if (first === 'definitions') return decoded === undefined ? { page: 'definitions' } : { page: 'definition', name: decoded };
  if (first === 'metrics') return { page: 'metrics' };
  return { page: 'workflows' };
}

const TITLES: Record<Route['page'], string> = {
  workflows: 'Workflows',
  workflow: 'Workflow',
  definitions: 'Definitions',
  definition: 'Definition',
  metrics: 'Metrics',
};

function Login({ message, onSignedIn }: { message: string; onSignedIn: (definitions: Definition[]) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(message);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      const { definitions } = await api<{ definitions: Definition[] }>('/v1/definitions', { key: key.trim() });
      storeKey(key.trim());
      onSignedIn(definitions);
    } catch (problem) {
      setError(problem instanceof ApiProblem && problem.status === 401 ? 'That key is not accepted.' : (problem as Error).message);
    }
  };
  return (
    <main id="main" class="login">
      <h1>ECL console</h1>
      <form onSubmit={submit}>
        <p>This server needs an API key. It is kept in this tab only (sessionStorage) and sent in the Authorization header.</p>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="off" value={key} onInput={(event) => setKey((event.target as HTMLInputElement).value)} required />
        <button type="submit">Sign in</button>
        <p role="alert" class="error">
          {error}
        </p>
      </form>
    </main>
  );
}

function App() {
  const [auth, setAuth] = useState<'checking' | 'login' | 'ready'>('checking');
  const [loginMessage, setLoginMessage] = useState('');
  const [definitions, setDefinitions] = useState<Definition[]>([]);
  const [route, setRoute] = useState<Route>(routeOf(location.hash));

  useEffect(() => {
    const onHash = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onHash);
    whenUnauthorized(() => {
      forgetKey();
      setLoginMessage('The server refused the key: enter it again.');
      setAuth('login');
    });
    api<{ definitions: Definition[] }>('/v1/definitions').then(
      ({ definitions: known }) => {
        setDefinitions(known);
        setAuth('ready');
      },
      (problem: unknown) => {
        setLoginMessage(problem instanceof ApiProblem && problem.status === 401 ? '' : (problem as Error).message);
        setAuth('login');
      },
    );
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    document.title = `${route.page === 'workflow' ? route.id : route.page === 'definition' ? route.name : TITLES[route.page]} · ECL console`;
  }, [route]);

  if (auth === 'checking') return <p role="status">Connecting…</p>;
  if (auth === 'login')
    return (
      <Login
        message={loginMessage}
        onSignedIn={(known) => {
          setDefinitions(known);
          setAuth('ready');
        }}
      />
    );
  const current = (page: Route['page'][]) => (page.includes(route.page) ? 'page' : undefined);
  return (
    <>
      <a class="skip" href="#main" onClick={(event) => (event.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">ECL console</span>
        <nav aria-label="Main">
          <a href="#/" aria-current={current(['workflows', 'workflow'])}>
            Workflows
          </a>
          <a href="#/definitions" aria-current={current(['definitions', 'definition'])}>
            Definitions
          </a>
          <a href="#/metrics" aria-current={current(['metrics'])}>
            Metrics
          </a>
        </nav>
        {storedKey() === null ? null : (
          <button
            type="button"
            class="signout"
            onClick={() => {
              forgetKey();
              setLoginMessage('');
              setAuth('login');
            }}
          >
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'workflows' ? <WorkflowsPage definitions={definitions} /> : null}
        {route.page === 'workflow' ? <WorkflowPage key={route.id} id={route.id} definitions={definitions} /> : null}
        {route.page === 'definitions' ? <DefinitionsPage definitions={definitions} /> : null}
        {route.page === 'definition' ? <DefinitionPage key={route.name} name={route.name} definitions={definitions} /> : null}
        {route.page === 'metrics' ? <MetricsPage /> : null}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
