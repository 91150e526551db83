import type SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * Kysely's better-sqlite3 driver with two changes that matter under load:
 * - prepared statements are cached by SQL text (preparing costs more than running a small query);
 * - transactions begin IMMEDIATE, taking the write lock up front, so two processes that read then
 *   write wait on busy_timeout instead of failing mid-transaction with SQLITE_BUSY.
 * SQLite has one connection: callers take turns through a mutex, as in Kysely's own driver.
 */
export class SqliteDialect implements Dialect {
  private driver: CachingSqliteDriver | null = null;
  constructor(private readonly database: SqliteDatabase.Database) {}
  createDriver(): Driver {
    this.driver = new CachingSqliteDriver(this.database);
    return this.driver;
  }
  /**
   * Runs `fn` on the raw connection while holding the same mutex as every Kysely query, so it never
   * interleaves with an open transaction. For the few hot paths where Kysely's per-query overhead
   * shows (the webhook inbox); `fn` must be synchronous.
   */
  exclusive<T>(fn: ExclusiveFn<T>): T | Promise<T> {
    if (!this.driver) throw new Error('the SQLite dialect has no driver yet');
    return this.driver.exclusive(fn);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/**
 * A hot path's work on the raw connection: `prepare` hands out statements from the same cache as
 * Kysely's queries, so the caller keeps none of its own.
 */
export type ExclusiveFn<T> = (db: SqliteDatabase.Database, prepare: CachedPrepare) => T;
/** The prepared statement for `sql`, from the connection's statement cache. */
export type CachedPrepare = (sql: string) => SqliteDatabase.Statement;

const STATEMENT_CACHE_SIZE = 500;

class CachingSqliteConnection implements DatabaseConnection {
  private readonly statements = new Map<string, SqliteDatabase.Statement>();
  constructor(private readonly db: SqliteDatabase.Database) {}

  /** The prepared statement for `sql`, from an LRU cache. */
  prepare(sql: string): SqliteDatabase.Statement {
    let stmt = this.statements.get(sql);
    if (stmt) {
      // Keep recently used statements at the end, so the oldest is evicted first.
      this.statements.delete(sql);
    } else {
      stmt = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_SIZE)
        this.statements.delete(this.statements.keys().next().value!);
    }
    this.statements.set(sql, stmt);
    return stmt;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.prepare(compiled.sql);
    const parameters = compiled.parameters as unknown[];
    if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not used with SQLite here');
  }
}

class CachingSqliteDriver implements Driver {
  private readonly connection: CachingSqliteConnection;
  private lock: Promise<void> | null = null;
  private unlock: (() => void) | null = null;

  constructor(private readonly db: SqliteDatabase.Database) {
    this.connection = new CachingSqliteConnection(db);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    while (this.lock) await this.lock;
    this.lock = new Promise((resolve) => (this.unlock = resolve));
    return this.connection;
  }
  async releaseConnection(): Promise<void> {
    const unlock = this.unlock;
    this.lock = null;
    this.unlock = null;
    unlock?.();
  }
  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint "${name}"`));
  }
  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to "${name}"`));
  }
  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release "${name}"`));
  }
  async destroy(): Promise<void> {
    this.db.close();
  }
  /**
   * Runs `fn` on the raw connection under the query mutex. When nothing holds the mutex, `fn` runs
   * at once (synchronous, so nothing can interleave with it) and its value is returned as is: a hot
   * path saves the microtask turns of taking the mutex.
   */
  exclusive<T>(fn: ExclusiveFn<T>): T | Promise<T> {
    if (!this.lock) return fn(this.db, this.prepare);
    return this.exclusiveWhenFree(fn);
  }
  private readonly prepare = (sql: string) => this.connection.prepare(sql);
  private async exclusiveWhenFree<T>(fn: ExclusiveFn<T>): Promise<T> {
    await this.acquireConnection();
    try {
      return fn(this.db, this.prepare);
    } finally {
      await this.releaseConnection();
    }
  }
}
