// The media types of a SIF stored as an ORAS artifact (Apptainer's oras client), and the manifest types read.
export const SIF_LAYER_MEDIA_TYPE = 'application/vnd.sylabs.sif.layer.v1.sif';
/** Apptainer's early, misspelled layer type: still accepted on pull */
export const OLD_SIF_LAYER_MEDIA_TYPE = 'appliciation/vnd.sylabs.sif.layer.tar';
export const CONFIG_MEDIA_TYPE = 'application/vnd.sylabs.sif.config.v1+json';
export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const ACCEPT_MANIFESTS = [MANIFEST_MEDIA_TYPE, DOCKER_MANIFEST, INDEX_MEDIA_TYPE, DOCKER_LIST].join(', ');
