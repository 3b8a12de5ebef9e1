import { pluginsCommand } from '../../plugins-commands';

export default pluginsCommand('plugins:reset');
