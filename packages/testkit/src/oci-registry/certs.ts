// Certificates for the OCI registry set-ups, made per suite with the openssl CLI: a CA and a server certificate
// for 127.0.0.1 (the TLS set-up; clients trust the CA through NODE_EXTRA_CA_CERTS), and a self-signed signing
// certificate the registry's `auth: token` trusts (the token server signs its JWTs with that key).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestCertificates {
  /** PEM of the CA that signed the server certificate */
  caFile: string;
  serverCert: string;
  serverKey: string;
  /** the token server's signing key and its self-signed certificate (the registry's rootcertbundle) */
  signingKey: string;
  signingCert: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCertificates(dir: string): TestCertificates {
  fs.mkdirSync(dir, { recursive: true });
  const at = (name: string) => path.join(dir, name);
  const days = ['-days', '2'];
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', ...days, '-subj', '/CN=sregistry test CA'],
    dir,
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  fs.writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      ...days,
      '-extfile',
      'server.ext',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'signing.key',
      '-out',
      'signing.pem',
      ...days,
      '-subj',
      '/CN=sregistry test token issuer',
    ],
    dir,
  );
  return {
    caFile: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    signingKey: at('signing.key'),
    signingCert: at('signing.pem'),
  };
}
