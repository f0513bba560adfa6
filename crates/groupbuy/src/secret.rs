//! The development signing secret of the embedded default: made once per data folder, kept in
//! `<data-dir>/dev-secret` (readable by its owner only), and used by `up` and `token` alike.

use std::{fs, io::Write, path::Path};

pub const FILE: &str = "dev-secret";
const ENV: &str = "GROUPBUY_AUTH__SECRET";

/// The configured secret, else the data folder's, made on first use.
pub fn load_or_create(data_dir: &Path) -> anyhow::Result<String> {
    if let Ok(secret) = std::env::var(ENV) {
        return Ok(secret);
    }
    let path = data_dir.join(FILE);
    if let Ok(secret) = fs::read_to_string(&path) {
        return Ok(secret.trim().to_owned());
    }
    fs::create_dir_all(data_dir)?;
    // Two v4 UUIDs: 244 bits from the OS's random source.
    let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&path)?.write_all(secret.as_bytes())?;
    Ok(secret)
}
