//! Writes the JSON Schema files of payload versions that have none yet, like
//! `ecites schemas write`, but needing only this crate (useful while the rest of the workspace
//! does not build): `cargo run -p ecites-events --example write_schemas [SCHEMAS_DIR]`.

fn main() -> std::io::Result<()> {
    let root = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas"));
    for p in ecites_events::schema::write_missing(&root, &ecites_events::payloads::all())? {
        println!("wrote {}", p.display());
    }
    Ok(())
}
