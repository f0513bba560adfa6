//! Mail through the outbox (PRODUCT.md G9): a message is written as an outbox row addressed to
//! [`TARGET`] in the transaction that decides it, and the relay hands it to the [`Mailer`]: an
//! SMTP server, or (the embedded default, no server needed) a folder where each message becomes
//! `<outbox id>.eml`. The Message-ID is derived from the outbox row, so a message resent after a
//! crash is recognisably the same one; in a folder it overwrites itself.

use std::path::PathBuf;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};
use serde::{Deserialize, Serialize};

use crate::db::{DbConnection, DbError};

/// The outbox target of a message.
pub const TARGET: &str = "mail";

/// Where mail goes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MailSettings {
    /// `smtp://host:port` (plain SMTP to a relay, e.g. one on this host or in the cluster); empty
    /// is unset.
    pub smtp_url: Option<String>,
    /// A folder for `.eml` files, used when no SMTP server is set.
    pub dir: Option<PathBuf>,
    /// The sender, such as `groupbuy <noreply@groupbuy.example>`.
    pub from: String,
}

/// A message as the outbox keeps it until sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Writes `mail` to be sent; call in the transaction that decides it. `kind` names it in the
/// outbox (`mail.purchaser_id`).
pub fn enqueue(conn: &mut DbConnection, kind: &str, mail: &Mail) -> Result<(), DbError> {
    enqueue_all(conn, kind, std::slice::from_ref(mail))
}

/// Writes several messages of one kind.
pub fn enqueue_all(conn: &mut DbConnection, kind: &str, mails: &[Mail]) -> Result<(), DbError> {
    crate::outbox::enqueue_all(conn, mails.iter().map(|m| (Some(TARGET.to_owned()), None, format!("mail.{kind}"), m)))
}

/// Sends what the outbox holds.
pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    Folder { dir: PathBuf, from: Mailbox },
}

impl Mailer {
    /// The mailer the settings describe; `None` when they name neither a server nor a folder.
    pub fn from_settings(settings: &MailSettings) -> anyhow::Result<Option<Self>> {
        let from: Mailbox = settings.from.parse().map_err(|e| anyhow::anyhow!("mail.from: {e}"))?;
        // Empty counts as unset (a deployment file's `${SMTP_URL:-}`).
        if let Some(url) = settings.smtp_url.as_deref().filter(|url| !url.is_empty()) {
            let address =
                url.strip_prefix("smtp://").ok_or_else(|| anyhow::anyhow!("mail.smtp_url must be smtp://host:port"))?;
            let (host, port) = address.rsplit_once(':').unwrap_or((address, "25"));
            let port: u16 =
                port.trim_end_matches('/').parse().map_err(|e| anyhow::anyhow!("mail.smtp_url port: {e}"))?;
            let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port).build();
            return Ok(Some(Self::Smtp { transport, from }));
        }
        match &settings.dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                Ok(Some(Self::Folder { dir: dir.clone(), from }))
            }
            None => Ok(None),
        }
    }

    /// Sends the outbox row `id`'s message (`payload` as [`enqueue`] wrote it: an event whose
    /// `data` is the [`Mail`]). `Err` says why it should be retried.
    pub(crate) async fn send(&self, id: &str, payload: &str) -> Result<(), String> {
        let event: serde_json::Value = serde_json::from_str(payload).map_err(|e| format!("unreadable mail: {e}"))?;
        let mail: Mail = serde_json::from_value(event["data"].clone()).map_err(|e| format!("unreadable mail: {e}"))?;
        let from = match self {
            Self::Smtp { from, .. } | Self::Folder { from, .. } => from.clone(),
        };
        let to: Mailbox = mail.to.parse().map_err(|e| format!("bad recipient: {e}"))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject)
            .message_id(Some(format!("<{id}@groupbuy>")))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| format!("unbuildable mail: {e}"))?;
        match self {
            Self::Smtp { transport, .. } => transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}")),
            Self::Folder { dir, .. } => {
                let path = dir.join(format!("{id}.eml"));
                tokio::fs::write(&path, message.formatted()).await.map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    }
}
