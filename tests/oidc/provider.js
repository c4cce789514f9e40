// A stand-in for a provincial unified identity platform: panva's certified OpenID provider on loopback.
// Usage: node provider.js <port> <redirect_uri> <post_logout_redirect_uri> <client_secret>
// Its own development pages do the login (any password) and the consent; accounts below give the claims.
import Provider from 'oidc-provider';

const [port, redirectUri, postLogoutUri, clientSecret] = process.argv.slice(2);
if (!port || !redirectUri || !postLogoutUri || !clientSecret) {
  console.error('usage: node provider.js <port> <redirect_uri> <post_logout_redirect_uri> <client_secret>');
  process.exit(2);
}

// Claims as a provincial platform would release them; a login not listed gets only its name.
const ACCOUNTS = {
  zhangsan: { name: '张三', phone_number: '13800000001', credit_code: '914403001922038216' },
  lisi: { name: '李四', phone_number: '13800000002' },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'smedt-platform',
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [postLogoutUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub'], profile: ['name'], phone: ['phone_number'], enterprise: ['credit_code'] },
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return { sub, ...(ACCOUNTS[sub] ?? { name: sub }) }; } };
  },
  pkce: { required: () => true },
  cookies: { keys: ['smedt-test-only-cookie-key'] },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;

provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${provider.issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
