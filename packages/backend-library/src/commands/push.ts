import { hostCommandApi } from '../host';

const { PushCommand } = hostCommandApi();

/** core's `push`, the same for every backend that can push: the URI scheme or the active backend chooses where. */
export default class Push extends PushCommand {}
