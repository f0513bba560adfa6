//! Runs the catalog service alone. `groupbuy up` runs it with the rest of the suite.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let file = std::env::var_os("GROUPBUY_CONFIG").map(std::path::PathBuf::from);
    let settings = catalog::settings(file.as_deref())?;
    platform::telemetry::init(&settings.telemetry);
    catalog::build(settings).await?.run_until_stopped().await?;
    Ok(())
}
