import { Api, ApiError } from '../api';
import { h, replaceChildren } from '../dom';
import type { PageContext } from '../context';
import { navigate } from '../router';
import { session } from '../session';

const KEY_PATTERN = /^adl_[A-Za-z0-9]{20,64}$/;

/** Checks a key by listing one campaign: a 401 is a bad key, a 403 a role the console cannot use. */
async function verify(key: string): Promise<string | undefined> {
  try {
    const api = new Api(key);
    await api.json(api.client.GET('/v1/campaigns', { params: { query: { limit: 1 } } }));
    return undefined;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) return 'This key was not accepted. Check that it is complete and not revoked.';
    if (error.status === 403) return 'This key cannot read campaigns. Use a marketer or analyst key.';
    return error.message;
  }
}

export function signInPage({ main, query }: PageContext): void {
  const errorBox = h('p', { class: 'form-error', role: 'alert', id: 'sign-in-error' });
  const input = h('input', {
    id: 'api-key',
    name: 'apiKey',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'adl_…',
    'aria-describedby': 'api-key-help sign-in-error',
  });
  const button = h('button', { type: 'submit', class: 'button primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'sign-in-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), input),
    h(
      'p',
      { class: 'hint', id: 'api-key-help' },
      'A marketer key reviews variants; an analyst key reads reports. The key stays in this browser tab and is forgotten when you close it.',
    ),
    errorBox,
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    errorBox.textContent = '';
    if (!KEY_PATTERN.test(key)) {
      errorBox.textContent = 'An API key starts with adl_ followed by 20 to 64 letters and digits.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      const problem = await verify(key);
      if (problem) {
        errorBox.textContent = problem;
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      session.signIn(key);
      const next = query.get('next');
      navigate(next && next.startsWith('/') && next !== '/sign-in' ? next : '/campaigns');
    } catch {
      errorBox.textContent = 'The API could not be reached. Try again in a moment.';
    } finally {
      button.disabled = false;
      button.textContent = 'Sign in';
    }
  });

  replaceChildren(
    main,
    h(
      'section',
      { class: 'sign-in' },
      h(
        'div',
        { class: 'sign-in-card' },
        h('h1', { tabindex: '-1' }, 'Sign in'),
        h(
          'p',
          { class: 'lead' },
          'Review generated video variants, follow generation live, and read how each variant performs.',
        ),
        form,
      ),
    ),
  );
  input.focus();
}
