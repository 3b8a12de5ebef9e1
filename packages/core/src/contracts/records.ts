/** One image in the local catalogue (a row of the original's `container` table, with its collection name). */
export interface ImageRecord {
  id: number;
  collectionId: number;
  collection: string;
  name: string;
  tag: string;
  version: string | null;
  /** absolute path of the stored file, or null when only a URL is known */
  image: string | null;
  url: string | null;
  /** `<collection>/<name>:<tag>@<version>` */
  uri: string | null;
  client: string;
  metrics: Record<string, unknown>;
  /** null for a row without a date (the original's `created_at` allows NULL) */
  createdAt: Date | null;
}

/** The public form of a record, as `inspect` prints it (the original's keys and shapes). */
export interface ImageRecordJson {
  client: string;
  collection: string;
  collection_id: number;
  /** null for a row without a date */
  created_at: string | null;
  id: number;
  image: string | null;
  metrics: Record<string, unknown>;
  name: string;
  tag: string;
  uri: string | null;
  url: string | null;
  version: string | null;
}
