//! API tokens: a random secret bound to a role of the policy. The ledger
//! keeps only the secret's SHA-256, so a copy of the database lets no one
//! in; the secret is shown once, when it is created.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::ledger::{opt_timestamp, timestamp};
use crate::{Ledger, StoreError, Writer};

/// The prefix every secret starts with, so that one found in a log or a
/// repository is recognised for what it is.
pub const PREFIX: &str = "tillit_";

/// A token as the ledger keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Token {
    pub id: i64,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Timestamp>,
}

/// The SHA-256 of a secret, as stored.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Writer<'_> {
    /// A new token for `role` (which the caller has checked against the
    /// policy): its id and its secret, which is not kept.
    pub fn create_token(
        &mut self,
        role: &str,
        label: Option<&str>,
    ) -> Result<(i64, String), StoreError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| StoreError::Database(format!("no randomness for a token: {e}")))?;
        let secret = format!("{PREFIX}{}", hex::encode(bytes));
        let now = self.at_micros();
        let id = self
            .sql()
            .query_one(
                "INSERT INTO tokens (role, secret_sha256, label, created_at) VALUES ($1, $2, $3, $4)
                 RETURNING id",
                &[
                    role.into(),
                    digest(&secret).into(),
                    label.map(str::to_owned).into(),
                    now.into(),
                ],
            )?
            .int(0)?;
        self.audit("token-created", None, &json!({ "token": id, "role": role }))?;
        Ok((id, secret))
    }

    /// Revokes a token: it lets no one in from now on.
    pub fn revoke_token(&mut self, id: i64) -> Result<(), StoreError> {
        let now = self.at_micros();
        let n = self.sql().execute(
            "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            &[now.into(), id.into()],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchToken(id));
        }
        self.audit("token-revoked", None, &json!({ "token": id }))?;
        Ok(())
    }
}

impl Ledger {
    /// The token whose secret is `secret`, revoked or not.
    pub fn token(&mut self, secret: &str) -> Result<Option<Token>, StoreError> {
        let digest = digest(secret);
        self.read_with(|sql| {
            sql.query_opt(
                "SELECT id, role, label, created_at, revoked_at FROM tokens WHERE secret_sha256 = $1",
                &[digest.as_str().into()],
            )?
            .map(|r| {
                Ok(Token {
                    id: r.int(0)?,
                    role: r.text(1)?,
                    label: r.opt_text(2)?,
                    created_at: timestamp(r.int(3)?)?,
                    revoked_at: opt_timestamp(r.opt_int(4)?)?,
                })
            })
            .transpose()
        })
    }

    /// Every token, the newest first.
    pub fn tokens(&mut self) -> Result<Vec<Token>, StoreError> {
        self.read_with(|sql| {
            sql.query(
                "SELECT id, role, label, created_at, revoked_at FROM tokens ORDER BY id DESC",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(Token {
                    id: r.int(0)?,
                    role: r.text(1)?,
                    label: r.opt_text(2)?,
                    created_at: timestamp(r.int(3)?)?,
                    revoked_at: opt_timestamp(r.opt_int(4)?)?,
                })
            })
            .collect()
        })
    }
}
