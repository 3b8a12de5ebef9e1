/** A parsed image reference (client-spec §4.2), with the original's field names. */
export interface ImageName {
  /** the input as given, scheme included */
  original: string;
  /** URI scheme (lower-cased, without `://`), e.g. `registry`, `shub`; undefined when absent */
  scheme?: string;
  /** registry host[:port][/path] when the name carries one */
  registry?: string;
  collection: string;
  image: string;
  tag: string;
  version?: string;
  /** `<collection>/<image>` or `<registry>/<collection>/<image>` */
  url: string;
  /** `url:tag` plus `@version` when present */
  uri: string;
  /** `uri.sif` */
  storage: string;
}
