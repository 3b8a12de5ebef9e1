// The native push permission rules (registry-api.md §1.3, §2.4), shared by push step 1 and upload-complete.
import type { Settings } from './exchange';
import type { CollectionRow, RegistryState } from './state';
import type { RegistryUser } from './types';

/** `has_permission(..., pull_permission=False)`: staff/superuser always; a new collection if USER_COLLECTIONS; else owners. */
export function mayPush(state: RegistryState, settings: Settings, user: RegistryUser, coll: CollectionRow | undefined): boolean {
  if (user.staff || user.superuser) return true;
  if (!coll) return settings.userCollections;
  return state.isOwner(user, coll);
}

/** `has_create_permission`: without USER_COLLECTIONS even an owner cannot push with the native client. */
export function mayCreate(settings: Settings, user: RegistryUser): boolean {
  return settings.userCollections || !!user.staff || !!user.superuser;
}
