import { hostCommandApi } from '../host';

const { DeleteCommand } = hostCommandApi();

/** core's `delete`, the same for every backend that can delete: the URI scheme or the active backend chooses where. */
export default class Delete extends DeleteCommand {}
