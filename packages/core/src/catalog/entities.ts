import 'reflect-metadata';
import { Column, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';

// The original's two tables (client-spec §5.1), column for column, so that a ~/.singularity/sregistry.db
// written by the Python client is read and written unchanged. Every column names its type because tsx
// does not emit decorator metadata. `created_at` is kept as the original's text ("YYYY-MM-DD HH:MM:SS",
// UTC); the data layer reads and writes it raw because TypeORM's own datetime conversion adds milliseconds.
// So the entities call it `text`, the one type both drivers accept (PostgreSQL has no `datetime`): the real
// column type is the table's (schema.ts: `datetime` in SQLite as the original has it, `timestamp` in PostgreSQL).

@Entity({ name: 'collection' })
export class CollectionEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 150, nullable: true, unique: true })
  name!: string | null;

  /** random UUID4 set at creation (the original never reads it back) */
  @Column({ type: 'varchar', length: 50, nullable: true })
  token!: string | null;

  @Column({ name: 'created_at', type: 'text', nullable: true })
  createdAt!: string | null;
}

@Entity({ name: 'container' })
@Unique('_container_uc', ['collectionId', 'name', 'tag', 'client', 'version'])
export class ContainerEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'created_at', type: 'text', nullable: true })
  createdAt!: string | null;

  /** JSON text of an object */
  @Column({ type: 'text', nullable: false })
  metrics!: string;

  @Column({ type: 'varchar', length: 250, nullable: false })
  name!: string;

  @Column({ type: 'varchar', length: 250, nullable: false })
  tag!: string;

  @Column({ type: 'varchar', length: 250, nullable: true })
  image!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  url!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  uri!: string | null;

  @Column({ type: 'varchar', length: 50, nullable: false })
  client!: string;

  @Column({ type: 'varchar', length: 250, nullable: true })
  version!: string | null;

  @Column({ name: 'collection_id', type: 'integer', nullable: false })
  collectionId!: number;

  @ManyToOne(() => CollectionEntity, { nullable: false })
  @JoinColumn({ name: 'collection_id' })
  collection?: CollectionEntity;
}
