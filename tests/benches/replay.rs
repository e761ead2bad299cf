//! Replay of a large log into fresh read models (events/s), next to a raw batched INSERT of the
//! same events (one row each: party, sequence, subject, body, key id, signature, time) into the
//! same PostgreSQL, 1000 rows per statement and per transaction, in the same run.
//!
//! Run: `deploy/stack.sh start && eval "$(deploy/stack.sh env)" && cargo bench -p ecites-tests --bench replay`
//! Size: `ECITES_BENCH_EVENTS` (1 000 000; six events per generated permit).

use ecites_events::{EventReader, RecordedEvent};
use ecites_projector::replay::Replay;
use ecites_tests::generate::append_permits;
use ecites_tests::readside::test_database;
use ecites_tests::*;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Instant;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn raw_insert(url: &str, events: &[RecordedEvent]) -> f64 {
    let pool = ecites_projector::db::pool(url, "public", 1)
        .await
        .expect("pool");
    sqlx::query(
        "CREATE TABLE raw_events (party text, sequence bigint PRIMARY KEY, subject text, body bytea, \
         key_id text, signature text, stored_at timestamptz)",
    )
    .execute(&pool)
    .await
    .expect("table");
    let started = Instant::now();
    for chunk in events.chunks(1000) {
        let seq: Vec<i64> = chunk.iter().map(|e| e.sequence as i64).collect();
        let subject: Vec<&str> = chunk.iter().map(|e| e.subject.as_str()).collect();
        let body: Vec<&[u8]> = chunk.iter().map(|e| &e.body[..]).collect();
        let key: Vec<&str> = chunk
            .iter()
            .map(|e| e.key_id.as_deref().unwrap_or(""))
            .collect();
        let sig: Vec<&str> = chunk
            .iter()
            .map(|e| e.signature.as_deref().unwrap_or(""))
            .collect();
        let at: Vec<time::OffsetDateTime> = chunk.iter().map(|e| e.stored_at).collect();
        let mut tx = pool.begin().await.expect("begin");
        sqlx::query(
            "INSERT INTO raw_events SELECT 'LK', * FROM UNNEST($1::bigint[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::timestamptz[])",
        )
        .bind(&seq)
        .bind(&subject)
        .bind(&body)
        .bind(&key)
        .bind(&sig)
        .bind(&at)
        .execute(&mut *tx)
        .await
        .expect("insert");
        tx.commit().await.expect("commit");
    }
    events.len() as f64 / started.elapsed().as_secs_f64()
}

/// The rows the replay wrote, inserted again into same-shaped tables (same indexes), 1000 rows
/// per statement and per transaction: what writing the read models costs PostgreSQL alone.
async fn raw_read_model_rows(url: &str) -> (u64, f64) {
    let pool = ecites_projector::db::pool(url, "public", 1)
        .await
        .expect("pool");
    sqlx::query("CREATE SCHEMA raw_rm")
        .execute(&pool)
        .await
        .expect("schema");
    let tables = [
        "permits",
        "permit_lines",
        "permit_events",
        "payments",
        "dashboard_species",
        "dashboard_documents",
        "dashboard_status",
    ];
    let mut rows_by_table = vec![];
    for t in tables {
        sqlx::query(&format!(
            "CREATE TABLE raw_rm.{t} (LIKE ecites_rm.{t} INCLUDING ALL)"
        ))
        .execute(&pool)
        .await
        .expect("table");
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT row_to_json(t)::text FROM ecites_rm.{t} t"))
                .fetch_all(&pool)
                .await
                .expect("rows");
        rows_by_table.push((t, rows));
    }
    let started = Instant::now();
    let mut total = 0;
    for (t, rows) in &rows_by_table {
        for chunk in rows.chunks(1000) {
            let json = format!("[{}]", chunk.join(","));
            let mut tx = pool.begin().await.expect("begin");
            sqlx::query(&format!("INSERT INTO raw_rm.{t} SELECT * FROM json_populate_recordset(NULL::raw_rm.{t}, $1::json)"))
                .bind(json)
                .execute(&mut *tx)
                .await
                .expect("insert");
            tx.commit().await.expect("commit");
            total += chunk.len() as u64;
        }
    }
    (total, started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() {
    let events = env_u64("ECITES_BENCH_EVENTS", 1_000_000);
    let permits = events.div_ceil(6);
    let ledger = TestLedger::new().await;
    let url = test_database().await;

    let started = Instant::now();
    let mut done = 0;
    while done < permits {
        let n = (permits - done).min(10_000);
        append_permits(&ledger.log, done, n, 2025, 128).await;
        done += n;
        eprintln!("generated {} events", done * 6);
    }
    let head = ledger.log.head(lk()).await.expect("head");
    let gen = started.elapsed().as_secs_f64();
    println!("log: {head} events ({permits} permits, six events each, one atomic batch per permit) generated in {gen:.1} s ({:.0} events/s)", head as f64 / gen);

    let replay = Replay {
        reader: &ledger.log,
        database_url: &url,
        keys: Arc::new(ledger.public_keys()),
        parties: vec![lk()],
        batch_size: 1000,
        fresh: true,
    };
    let started = Instant::now();
    let report = replay.run(|_, _, _| {}).await.expect("replay");
    let replay_secs = started.elapsed().as_secs_f64();
    let replay_rate = report.events as f64 / replay_secs;
    println!("replay (read log, verify signatures, project, checkpoint; 1000 events per transaction): {} events in {replay_secs:.1} s = {replay_rate:.0} events/s", report.events);

    let started = Instant::now();
    let all: Vec<RecordedEvent> = ledger
        .log
        .read_party(lk(), 1)
        .await
        .expect("read")
        .map(|e| e.expect("event"))
        .collect()
        .await;
    let read_secs = started.elapsed().as_secs_f64();
    println!(
        "reading the log alone: {:.0} events/s",
        all.len() as f64 / read_secs
    );
    let raw = raw_insert(&url, &all).await;
    println!("raw batched INSERT of the same {} events (1000 rows per statement and transaction): {raw:.0} rows/s", all.len());
    println!(
        "replay / raw event rows = {:.0} %",
        100.0 * replay_rate / raw
    );
    let (rows, secs) = raw_read_model_rows(&url).await;
    println!(
        "raw batched INSERT of the rows the replay wrote ({rows} rows in 7 tables, same indexes, 1000 per statement and transaction): {secs:.1} s = {:.0} events/s equivalent",
        report.events as f64 / secs
    );
    println!(
        "replay / raw read-model rows = {:.0} %",
        100.0 * secs / replay_secs
    );
}
