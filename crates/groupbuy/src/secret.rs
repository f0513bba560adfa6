//! The development signing secret of the embedded default: made once per data folder, kept in
//! `<data-dir>/dev-secret` (readable by its owner only), and used by `up` and `token` alike.

use std::{fs, io::Write, path::Path};

pub const FILE: &str = "dev-secret";
const ENV: &str = "GROUPBUY_AUTH__SECRET";

/// The Standard Webhooks secrets payments, shipping and bidding sign what they tell groups with.
pub const PAYMENTS_WEBHOOK_FILE: &str = "payments-webhook-secret";
pub const SHIPPING_WEBHOOK_FILE: &str = "shipping-webhook-secret";
pub const BIDDING_WEBHOOK_FILE: &str = "bidding-webhook-secret";

/// The configured secret, else the data folder's, made on first use.
pub fn load_or_create(data_dir: &Path) -> anyhow::Result<String> {
    if let Ok(secret) = std::env::var(ENV) {
        return Ok(secret);
    }
    // Two v4 UUIDs: 244 bits from the OS's random source.
    kept(data_dir, FILE, || format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()))
}

/// A webhook secret kept in the data folder under `file` (`whsec_` and base64, as Standard
/// Webhooks has it), made on first use.
pub fn webhook_secret(data_dir: &Path, file: &str) -> anyhow::Result<String> {
    kept(data_dir, file, platform::webhook::new_secret)
}

/// The secret in `file` under the data folder, else a new one from `make`, kept there readable by
/// its owner only.
fn kept(data_dir: &Path, file: &str, make: impl FnOnce() -> String) -> anyhow::Result<String> {
    let path = data_dir.join(file);
    if let Ok(secret) = fs::read_to_string(&path) {
        return Ok(secret.trim().to_owned());
    }
    fs::create_dir_all(data_dir)?;
    let secret = make();
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(&path)?.write_all(secret.as_bytes())?;
    Ok(secret)
}
