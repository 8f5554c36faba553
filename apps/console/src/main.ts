import './styles.css';
import { Api } from './api';
import type { PageContext, PageView } from './context';
import { h, replaceChildren } from './dom';
import { campaignsPage } from './pages/campaigns';
import { chartsPage } from './pages/charts';
import { loading, showError } from './pages/common';
import { galleryPage } from './pages/gallery';
import { reportPage } from './pages/report';
import { signInPage } from './pages/sign-in';
import { matchRoute, navigate, parseHash, RouteDefinition } from './router';
import { session } from './session';

interface Screen {
  title: string;
  view: PageView;
  public?: boolean;
}

const ROUTES: RouteDefinition<Screen>[] = [
  { pattern: '/sign-in', page: { title: 'Sign in', view: signInPage, public: true } },
  { pattern: '/campaigns', page: { title: 'Campaigns', view: campaignsPage } },
  { pattern: '/campaigns/:id/gallery', page: { title: 'Variants', view: galleryPage } },
  { pattern: '/campaigns/:id/charts', page: { title: 'Charts', view: chartsPage } },
  { pattern: '/campaigns/:id/report', page: { title: 'Report', view: reportPage } },
];

const main = document.getElementById('main')!;
const account = document.getElementById('account')!;
let leaving: AbortController | undefined;
let firstRender = true;

function signOut(): void {
  session.signOut();
  navigate('/sign-in');
}

function drawAccount(key: string | null): void {
  if (!key) return replaceChildren(account);
  replaceChildren(
    account,
    h('span', { class: 'key-prefix', title: 'The API key this tab uses' }, `${key.slice(0, 12)}…`),
    h('button', { type: 'button', class: 'button ghost small', onclick: signOut }, 'Sign out'),
  );
}

async function render(): Promise<void> {
  leaving?.abort();
  const controller = new AbortController();
  leaving = controller;
  const { path, query } = parseHash(window.location.hash);
  const key = session.key();

  if (path === '/' || path === '') return navigate(key ? '/campaigns' : '/sign-in');
  const match = matchRoute(ROUTES, path) ?? matchRoute(ROUTES, path.replace(/\/$/, '') + '/gallery');
  if (!match) return navigate('/campaigns');
  if (!key && !match.page.public) return navigate('/sign-in', { next: path });

  drawAccount(key);
  const api = new Api(key ?? '', () => {
    session.signOut();
    navigate('/sign-in', { next: path });
  });
  const context: PageContext = { api, main, params: match.params, query, signal: controller.signal };
  document.title = `${match.page.title} · Adloom console`;
  main.dataset.page = path.split('/').pop() ?? '';
  main.removeAttribute('aria-busy');
  loading(main, match.page.title.toLowerCase());
  main.setAttribute('aria-busy', 'true');
  try {
    await match.page.view(context);
  } catch (error) {
    if (controller.signal.aborted) return;
    showError(main, error, () => void render());
  } finally {
    if (!controller.signal.aborted) main.removeAttribute('aria-busy');
  }
  // Move focus to the new page's heading, so keyboard and screen-reader users start there.
  if (!firstRender && !controller.signal.aborted && !main.contains(document.activeElement)) {
    main.querySelector<HTMLElement>('h1')?.focus();
  }
  firstRender = false;
}

document.querySelector('[data-skip]')?.addEventListener('click', (event) => {
  event.preventDefault();
  (main.querySelector<HTMLElement>('h1') ?? main).focus();
});
window.addEventListener('hashchange', () => void render());
void render();
