//! Who may do what, decided in one place.
//!
//! Every route is registered through [`Routes`] with its [`Rule`]; the [`authorize`] middleware
//! resolves the caller once (the staff bearer token, a personal API token, or the session
//! cookie), looks up the rule of the matched route and lets the request through, sends a person
//! who is not signed in to the sign-in page, or answers 403. A route without a rule is refused
//! (fail closed), and `route_table` lets a test hold every route against the role matrix.
//!
//! Handlers never check roles themselves: they take an extractor ([`Caller`], [`DeskPage`],
//! [`EnterpriseSession`]) that reads what the middleware resolved. The only checks left to a
//! handler are about rows, through [`Caller::may_read_enterprise`] and
//! [`Caller::may_act_for`], so an enterprise user reaches its own enterprise and nothing else.
//!
//! The same middleware enforces the form token on every state-changing request made with the
//! session cookie (bearer calls carry no cookie a foreign page could borrow, so they are exempt)
//! and writes the audit log: every change, every refusal, every export.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use labbridge_app::accounts::{Account, Role, form_token};
use labbridge_store::accounts::AuditLine;

use crate::AppState;
use crate::error::ApiError;
use crate::pages::Lang;

tokio::task_local! {
    /// The caller of the request being served, for what templates show (the form token in
    /// hidden fields, links only some roles may follow).
    static CURRENT: Caller;
}

/// The form token of the request being served (empty without a cookie session). Templates put
/// it in every form as the hidden field `csrf`.
pub fn form_token_field() -> String {
    CURRENT.try_with(Caller::form_token).unwrap_or_default()
}

/// Whether the caller of the request being served may change the bureau's work (forms are
/// hidden from the auditor, whose changes the server refuses anyway).
pub fn may_change() -> bool {
    CURRENT
        .try_with(|caller| caller.is_token() || caller.role().is_some_and(Role::works_desk))
        .unwrap_or(false)
}

/// Whether the caller of the request being served reads the audit log.
pub fn may_audit() -> bool {
    CURRENT
        .try_with(|caller| Rule::AuditRead.admits(caller))
        .unwrap_or(false)
}

/// What a route asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Anyone (public pages, the answer links, sign-in).
    Public,
    /// Anyone signed in (sign-out).
    Signed,
    /// Reads the bureau's work: staff, admin, auditor, the staff token.
    DeskRead,
    /// Changes the bureau's work: staff, admin, the staff token (not the auditor).
    DeskWork,
    /// The audit log: admin and auditor.
    AuditRead,
    /// An enterprise user's own pages.
    Enterprise,
    /// An enterprise's records: its own users, or anyone who reads the desk (the handler checks
    /// the row with [`Caller::may_read_enterprise`]).
    PartyRead,
    /// Changes to an enterprise's records: its own users, or desk workers (checked with
    /// [`Caller::may_act_for`]).
    PartyWork,
}

impl Rule {
    /// The rule's name in the role matrix.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Public => "public",
            Rule::Signed => "signed",
            Rule::DeskRead => "desk-read",
            Rule::DeskWork => "desk-work",
            Rule::AuditRead => "audit-read",
            Rule::Enterprise => "enterprise",
            Rule::PartyRead => "party-read",
            Rule::PartyWork => "party-work",
        }
    }

    /// Whether a caller passes the rule (rows aside).
    pub fn admits(self, caller: &Caller) -> bool {
        let role = caller.role();
        match self {
            Rule::Public => true,
            Rule::Signed => caller.account().is_some(),
            Rule::DeskRead => caller.is_token() || role.is_some_and(Role::reads_desk),
            Rule::DeskWork => caller.is_token() || role.is_some_and(Role::works_desk),
            Rule::AuditRead => matches!(role, Some(Role::Admin | Role::Auditor)),
            Rule::Enterprise => role == Some(Role::Enterprise),
            Rule::PartyRead => {
                caller.is_token()
                    || role.is_some_and(|role| role.reads_desk() || role == Role::Enterprise)
            }
            Rule::PartyWork => {
                caller.is_token()
                    || role.is_some_and(|role| role.works_desk() || role == Role::Enterprise)
            }
        }
    }
}

/// Who is calling, resolved once per request by [`authorize`].
#[derive(Debug, Clone, Default)]
pub enum Caller {
    /// Nobody signed in.
    #[default]
    Anonymous,
    /// The staff bearer token (scripts).
    StaffToken,
    /// A person: signed in with the cookie (`form_token` set) or a personal API token.
    Person {
        /// The account.
        account: Account,
        /// The session's form token, for cookie sessions.
        form_token: Option<String>,
    },
}

impl Caller {
    /// The account of a person.
    pub fn account(&self) -> Option<&Account> {
        match self {
            Caller::Person { account, .. } => Some(account),
            _ => None,
        }
    }

    /// The role of a person.
    pub fn role(&self) -> Option<Role> {
        self.account().map(|account| account.role)
    }

    /// Whether this is the staff bearer token.
    pub fn is_token(&self) -> bool {
        matches!(self, Caller::StaffToken)
    }

    /// Who, for the audit log and the proposals' timelines.
    pub fn login(&self) -> String {
        match self {
            Caller::Anonymous => "-".to_owned(),
            Caller::StaffToken => "api".to_owned(),
            Caller::Person { account, .. } => account.login.clone(),
        }
    }

    /// The form token to put in forms (empty without a cookie session).
    pub fn form_token(&self) -> String {
        match self {
            Caller::Person {
                form_token: Some(token),
                ..
            } => token.clone(),
            _ => String::new(),
        }
    }

    /// Whether the caller reads the bureau's pages and data.
    pub fn reads_desk(&self) -> bool {
        self.is_token() || self.role().is_some_and(Role::reads_desk)
    }

    /// Whether the caller may read this enterprise's records (its coverage, needs, proposals).
    pub fn may_read_enterprise(&self, enterprise_id: &str) -> bool {
        self.reads_desk() || self.own_enterprise() == Some(enterprise_id)
    }

    /// Whether the caller may change this enterprise's records.
    pub fn may_act_for(&self, enterprise_id: &str) -> bool {
        self.is_token()
            || self.role().is_some_and(Role::works_desk)
            || self.own_enterprise() == Some(enterprise_id)
    }

    /// The enterprise an enterprise user acts for.
    pub fn own_enterprise(&self) -> Option<&str> {
        self.account()
            .filter(|account| account.role == Role::Enterprise)
            .and_then(|account| account.enterprise_id.as_deref())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            tracing::error!(path = %parts.uri.path(), "a route was served without authorization");
            ApiError::internal()
        })
    }
}

/// A person who reads the bureau's pages (staff, admin, auditor), with the form token.
#[derive(Debug, Clone)]
pub struct DeskPage {
    /// The account.
    pub account: Account,
    /// The form token for the page's forms.
    pub csrf: String,
}

impl DeskPage {
    /// Whether this person may change things (the auditor may not; pages hide their forms).
    pub fn works(&self) -> bool {
        self.account.role.works_desk()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for DeskPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match caller {
            Caller::Person {
                account,
                form_token,
            } if account.role.reads_desk() => Ok(Self {
                account,
                csrf: form_token.unwrap_or_default(),
            }),
            _ => Err(to_sign_in(parts)),
        }
    }
}

/// An enterprise user, with its enterprise and the form token.
#[derive(Debug, Clone)]
pub struct EnterpriseSession {
    /// The account.
    pub account: Account,
    /// The enterprise it acts for.
    pub enterprise_id: String,
    /// The form token for the page's forms.
    pub csrf: String,
}

impl<S: Send + Sync> FromRequestParts<S> for EnterpriseSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(enterprise_id) = caller.own_enterprise().map(str::to_owned) else {
            return Err(to_sign_in(parts));
        };
        let csrf = caller.form_token();
        let Caller::Person { account, .. } = caller else {
            return Err(to_sign_in(parts));
        };
        Ok(Self {
            account,
            enterprise_id,
            csrf,
        })
    }
}

fn lang_of(parts: &Parts) -> Lang {
    if parts
        .uri
        .query()
        .is_some_and(|query| query.split('&').any(|pair| pair == "lang=en"))
    {
        Lang::En
    } else {
        Lang::Zh
    }
}

/// The sign-in page for a person without a session: coming back here afterwards for a page, to
/// the role's home after a form (whose session may have expired while it was open); a 403 for
/// the API.
fn to_sign_in(parts: &Parts) -> Response {
    let path = parts.uri.path();
    if path.starts_with("/api/") {
        return ApiError::forbidden("sign in, or send Authorization: Bearer <token>")
            .into_response();
    }
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let next = parts
            .uri
            .path_and_query()
            .map_or(path, |value| value.as_str());
        return crate::staff::login_then(lang_of(parts), next);
    }
    axum::response::Redirect::to(&format!("/login?lang={}", lang_of(parts).code())).into_response()
}

/// The routes and their rules, built together so that neither can exist without the other.
pub struct Routes {
    router: Router<AppState>,
    rules: Vec<(Method, &'static str, Rule)>,
}

impl Default for Routes {
    fn default() -> Self {
        Self {
            router: Router::new(),
            rules: Vec::new(),
        }
    }
}

impl Routes {
    /// Adds a route for one method with its rule.
    pub fn add(
        mut self,
        method: Method,
        path: &'static str,
        rule: Rule,
        route: MethodRouter<AppState>,
    ) -> Self {
        self.router = self.router.route(path, route);
        self.rules.push((method, path, rule));
        self
    }

    /// A GET route.
    pub fn get<H, T>(self, path: &'static str, rule: Rule, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, rule, axum::routing::get(handler))
    }

    /// A POST route.
    pub fn post<H, T>(self, path: &'static str, rule: Rule, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, rule, axum::routing::post(handler))
    }

    /// A PUT route.
    pub fn put<H, T>(self, path: &'static str, rule: Rule, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::PUT, path, rule, axum::routing::put(handler))
    }

    /// Every route with its rule.
    pub fn table(&self) -> Vec<(Method, &'static str, Rule)> {
        self.rules.clone()
    }

    /// The router, each route behind [`authorize`].
    pub fn into_router(self, state: &AppState) -> Router<AppState> {
        let table: Arc<RuleTable> = Arc::new(
            self.rules
                .into_iter()
                .map(|(method, path, rule)| ((method, path.to_owned()), rule))
                .collect(),
        );
        self.router.layer(axum::middleware::from_fn_with_state(
            (state.clone(), table),
            authorize,
        ))
    }
}

type RuleTable = HashMap<(Method, String), Rule>;

/// The bearer token of the request, if any (any capitalisation of the scheme).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// The session cookie's token, if any.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == crate::staff::COOKIE)
        .map(|(_, value)| value.trim().to_owned())
}

/// Compares two secrets in time that does not depend on where they differ.
fn same_secret(given: &str, expected: &str) -> bool {
    let (given, expected) = (given.as_bytes(), expected.as_bytes());
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Resolves the caller: the staff token, a personal API token, the session cookie, or nobody.
async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    if let Some(token) = bearer(headers) {
        if let Some(expected) = state
            .app
            .settings
            .staff_token
            .as_ref()
            .map(labbridge_app::config::Secret::expose)
            .filter(|expected| !expected.is_empty())
            && same_secret(token, expected)
        {
            return Ok(Caller::StaffToken);
        }
        return Ok(match state.app.session(token).await? {
            Some(session) if session.api_token => Caller::Person {
                account: session.account,
                form_token: None,
            },
            _ => Caller::Anonymous,
        });
    }
    if let Some(token) = session_cookie(headers)
        && let Some(session) = state.app.session(&token).await?
        && !session.api_token
    {
        return Ok(Caller::Person {
            account: session.account,
            form_token: Some(form_token(&token)),
        });
    }
    Ok(Caller::Anonymous)
}

/// The client's address, for the audit log ("-" when unknown, as in tests without a socket).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(|| "-".to_owned(), |info| info.0.ip().to_string()),
        ))
    }
}

/// The client's address: the socket's peer (a proxy in front should be told apart by
/// deployment, not by a header anyone can send).
fn address(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "-".to_owned(), |info| info.0.ip().to_string())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The form token a request carries: the `X-CSRF-Token` header, a `csrf` query parameter
/// (multipart uploads) or a `csrf` field of a urlencoded body. The body is read (bounded) and
/// put back.
async fn carried_token(request: Request) -> Result<(Option<String>, Request), ApiError> {
    if let Some(value) = request
        .headers()
        .get("x-csrf-token")
        .and_then(|value| value.to_str().ok())
    {
        return Ok((Some(value.to_owned()), request));
    }
    if let Some(query) = request.uri().query()
        && let Some((_, value)) =
            form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == "csrf")
    {
        return Ok((Some(value.into_owned()), request));
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, request));
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| ApiError::invalid("the form is too large"))?;
    let token = form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == "csrf")
        .map(|(_, value)| value.into_owned());
    Ok((token, Request::from_parts(parts, Body::from(bytes))))
}

/// The largest urlencoded form accepted (a need's description is the longest field).
const FORM_LIMIT: usize = 256 * 1024;

/// The middleware: resolve, check the rule and the form token, run, audit.
pub async fn authorize(
    State((state, table)): State<(AppState, Arc<RuleTable>)>,
    request: Request,
    next: Next,
) -> Response {
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned())
    else {
        // The fallback (no route): nothing to protect.
        return next.run(request).await;
    };
    let method = request.method().clone();
    let rule_method = if method == Method::HEAD {
        Method::GET
    } else {
        method.clone()
    };
    let Some(rule) = table.get(&(rule_method, path.clone())).copied() else {
        if table.keys().any(|(_, known)| *known == path) {
            // A method the route does not have: the router answers 405 without a handler.
            return next.run(request).await;
        }
        tracing::error!(%method, %path, "route has no rule; refused");
        return ApiError::forbidden("this route has no permission rule").into_response();
    };
    let caller = match resolve(&state, request.headers()).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let address = address(&request);
    let uri_path = request.uri().path().to_owned();
    let line = |outcome: String, detail: &str| AuditLine {
        actor: caller.login(),
        role: caller.role().map_or_else(
            || if caller.is_token() { "token" } else { "-" }.to_owned(),
            |role| role.code().to_owned(),
        ),
        address: address.clone(),
        action: format!("{method} {uri_path}"),
        target: path.clone(),
        outcome,
        detail: detail.to_owned(),
    };
    if !rule.admits(&caller) {
        if caller.account().is_some() || caller.is_token() {
            record(&state, line("refused".to_owned(), rule.name())).await;
        }
        let (parts, _) = request.into_parts();
        return match caller {
            Caller::Anonymous => to_sign_in(&parts),
            // A signed-in person on a page not theirs gets a 403 page, not the sign-in form.
            _ => {
                ApiError::forbidden("your role does not allow this page or action").into_response()
            }
        };
    }
    let mut request = request;
    let cookie_session = matches!(
        caller,
        Caller::Person {
            form_token: Some(_),
            ..
        }
    );
    let changes = !is_safe(&method);
    if changes && cookie_session && rule != Rule::Public {
        let expected = caller.form_token();
        let (carried, rebuilt) = match carried_token(request).await {
            Ok(found) => found,
            Err(error) => return error.into_response(),
        };
        request = rebuilt;
        if !carried.is_some_and(|carried| same_secret(&carried, &expected)) {
            record(
                &state,
                line("refused".to_owned(), "form token missing or wrong"),
            )
            .await;
            return ApiError::forbidden(
                "the form has expired or did not come from this site; open the page again and resend",
            )
            .into_response();
        }
    }
    let exports = path.starts_with("/api/v1/exports") || path.starts_with("/api/v1/audit");
    request.extensions_mut().insert(caller.clone());
    let response = CURRENT.scope(caller.clone(), next.run(request)).await;
    if (changes && rule != Rule::Public) || exports {
        record(&state, line(response.status().as_u16().to_string(), "")).await;
    }
    response
}

async fn record(state: &AppState, line: AuditLine) {
    if let Err(error) = state.app.audit(line).await {
        tracing::error!(%error, "cannot write the audit log");
    }
}
