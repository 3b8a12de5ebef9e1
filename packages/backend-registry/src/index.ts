// The backend module is ./backend (declared in package.json "sregistry.backends"); commands live in ./commands.
export { createBackend, description } from './backend';
export { authorizationHeader, hmacTimestamp, normaliseCollection, signature } from './hmac';
