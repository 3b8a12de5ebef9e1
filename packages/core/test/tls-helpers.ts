// A key and a self-signed certificate for 127.0.0.1 (openssl), for https test servers that clients reach with
// `insecure: true` or refuse.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export function selfSignedCertificate(parent: string): { key: Buffer; cert: Buffer } {
  const dir = fs.mkdtempSync(path.join(parent, 'tls-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1'],
    { cwd: dir, stdio: 'ignore' },
  );
  return { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
}
