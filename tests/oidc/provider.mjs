// A real OpenID Connect provider for kpiboard's single sign-on tests: panva's OpenID-certified
// oidc-provider with its built-in sign-in and consent pages (devInteractions), on 127.0.0.1.
//
//   node provider.mjs CONFIG.json
//
// CONFIG.json: {"clients": [oidc-provider client metadata, ...],
//               "accounts": {"<login>": {claims: sub, name, preferred_username, groups, ...}}}
// Accounts are read again at every sign-in, so a test can change someone's groups between
// two sign-ins. Listens on a free port and prints one line, {"issuer": "http://127.0.0.1:PORT"},
// once it answers; runs until killed.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const configPath = process.argv[2];
const read = () => JSON.parse(readFileSync(configPath, 'utf8'));

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: read().clients,
    cookies: { keys: ['kpiboard-tests-only-cookie-key'] },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
      groups: ['groups'],
    },
    // profile and group claims go into the ID token itself, as most providers can be set to do
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      const account = read().accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
