//! OAuth 2.1 resource server: access tokens are JWTs (RS256 or ES256)
//! checked offline against a JWKS file — signature, expiry, issuer, audience
//! (this server's resource URL) and scope. Tokens are never sent anywhere.

use std::path::{Path, PathBuf};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

/// Where tokens come from and what they must say.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// The authorization server (the tokens' `iss`).
    pub issuer: String,
    /// A JWKS file holding the issuer's public keys.
    pub jwks: PathBuf,
    /// The resource URL, which tokens must name as `aud`; `None`: derived
    /// from the address the server binds.
    pub resource: Option<String>,
    /// The scope a token must carry.
    pub scope: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("JWKS file {path}: {why}")]
    Jwks { path: String, why: String },
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenError {
    /// Bad signature, expired, wrong issuer or audience, malformed: 401.
    Invalid(String),
    /// Valid, but without the required scope: 403.
    InsufficientScope,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    /// Some servers send scopes as an array under `scp`.
    #[serde(default)]
    scp: Option<Vec<String>>,
}

/// Checks access tokens against the configured keys.
pub struct TokenValidator {
    keys: JwkSet,
    issuer: String,
    audience: String,
    scope: String,
}

impl TokenValidator {
    /// Loads the JWKS; `resource` is the URL tokens must be issued for.
    pub fn load(config: &OAuthConfig, resource: &str) -> Result<TokenValidator, OAuthError> {
        let keys = read_jwks(&config.jwks)?;
        Ok(TokenValidator {
            keys,
            issuer: config.issuer.clone(),
            audience: resource.to_owned(),
            scope: config.scope.clone(),
        })
    }

    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The token's subject when it is valid and carries the scope.
    pub fn validate(&self, token: &str) -> Result<String, TokenError> {
        let invalid = |why: String| TokenError::Invalid(why);
        let header = decode_header(token).map_err(|e| invalid(format!("malformed token: {e}")))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let jwk = match &header.kid {
            Some(kid) => self
                .keys
                .find(kid)
                .ok_or_else(|| invalid(format!("no key with kid `{kid}`")))?,
            None if self.keys.keys.len() == 1 => &self.keys.keys[0],
            None => return Err(invalid("the token names no key (kid)".into())),
        };
        let key = DecodingKey::from_jwk(jwk).map_err(|e| invalid(format!("unusable key: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = 30;
        let data =
            decode::<Claims>(token, &key, &validation).map_err(|e| invalid(rejection(&e)))?;
        let claims = data.claims;
        let has_scope = claims
            .scope
            .as_deref()
            .is_some_and(|s| s.split_whitespace().any(|s| s == self.scope))
            || claims.scp.as_ref().is_some_and(|s| s.contains(&self.scope));
        if !has_scope {
            return Err(TokenError::InsufficientScope);
        }
        Ok(claims.sub.unwrap_or_default())
    }
}

fn read_jwks(path: &Path) -> Result<JwkSet, OAuthError> {
    let err = |why: String| OAuthError::Jwks {
        path: path.display().to_string(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let set: JwkSet = serde_json::from_str(&text).map_err(|e| err(format!("not a JWKS: {e}")))?;
    if set.keys.is_empty() {
        return Err(err("it holds no keys".into()));
    }
    Ok(set)
}

/// Why a signed token was refused, in words its holder can act on.
fn rejection(error: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::ExpiredSignature => "the access token has expired".into(),
        ErrorKind::ImmatureSignature => "the access token is not valid yet (nbf)".into(),
        ErrorKind::InvalidIssuer => "the access token is from another issuer".into(),
        ErrorKind::InvalidAudience => "the access token is for another resource (aud)".into(),
        ErrorKind::InvalidSignature => "the access token's signature does not verify".into(),
        ErrorKind::MissingRequiredClaim(claim) => {
            format!("the access token has no `{claim}` claim")
        }
        other => format!("the access token was refused: {other:?}"),
    }
}
