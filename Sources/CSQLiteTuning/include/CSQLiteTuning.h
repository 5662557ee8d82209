#ifndef CSQLITETUNING_H
#define CSQLITETUNING_H

/// Configures SQLite for a process whose connections are each used by one thread at a time
/// (GRDB serializes every connection): no per-call connection mutex, no global memory
/// statistics (whose mutex every allocation takes). `sqlite3_config` is variadic, which Swift
/// cannot call, hence this C function. Call it before the first connection opens; returns
/// SQLITE_OK (0), or SQLITE_MISUSE when SQLite was already initialized (then nothing changes).
int outreach_sqlite_configure(void);

#endif
