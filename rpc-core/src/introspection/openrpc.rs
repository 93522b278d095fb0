//! The OpenRPC 1.3 document `rpc.discover` answers with.

use serde_json::{json, Map, Value};

use super::{Description, Listed, DISCOVER};
use crate::listing::{MethodInfo, SubscriptionInfo};
use crate::type_schema::TypeSchema;

/// The OpenRPC version the document follows.
const OPENRPC_VERSION: &str = "1.3.2";

/// What the OpenRPC document says of the service beside its methods: its
/// `info` (title, version, description) and `servers`.
///
/// The methods come from the router: each `#[rpc]` method with its summary
/// (the first paragraph of its doc comment) and description (the whole
/// comment), its params (name, whether required, schema), its result (none
/// for a notification), the errors it declares, and `x-` extensions for
/// what OpenRPC has no word for:
///
/// | extension | on | what |
/// |---|---|---|
/// | `x-rust-type` | a param or result | the Rust type as written |
/// | `x-flatten` | a param | it takes the whole `params` member (`#[rpc(flatten)]`): send its value as the params |
/// | `x-aliases` | a method | its other names |
/// | `x-subscription` | a method | its items' notification method, its unsubscribe method and its item (a content descriptor) |
/// | `x-guards` | a method | the guards it runs first, as written |
/// | `x-topics` | the document | the built-in topic methods' names (`subscribe`, `unsubscribe`, `list`, `subscriptions`) |
///
/// Schemas come from `schemars` with the `schemars` feature (shared ones
/// under `components.schemas`); otherwise, and for a type that does not
/// implement `JsonSchema`, the schema is `{"title": "<the Rust type>"}`.
///
/// ```
/// use rpc_core::introspection::ServiceInfo;
///
/// let info = ServiceInfo::new("Calculator", "1.0.0")
///     .description("Integer and floating-point arithmetic.")
///     .server("http://127.0.0.1:3000/");
/// # let _ = info;
/// ```
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    title: String,
    version: String,
    description: Option<String>,
    pub(super) servers: Vec<String>,
}

impl ServiceInfo {
    /// A service named `title`, at `version` (of the service, not of OpenRPC).
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            version: version.into(),
            description: None,
            servers: Vec::new(),
        }
    }

    /// What the service is for (GitHub-flavoured Markdown).
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// A URL the service is served at; several may be given. Without any,
    /// `rpc-http`'s server lists where it serves the router.
    #[must_use]
    pub fn server(mut self, url: impl Into<String>) -> Self {
        self.servers.push(url.into());
        self
    }
}

/// The document of `listed` (sorted by name).
pub(super) fn document(info: &ServiceInfo, listed: &[Listed]) -> Value {
    let mut schemas = Schemas::new();
    let aliases = |name: &str| -> Vec<&str> {
        listed
            .iter()
            .filter(|other| matches!(&other.description, Some(Description::AliasOf(of)) if **of == *name))
            .map(|other| &*other.name)
            .collect()
    };
    let unsubscribe_of = |name: &str| {
        listed
            .iter()
            .find(|other| matches!(&other.description, Some(Description::Unsubscribe { of }) if **of == *name))
            .map(|other| &*other.name)
    };
    let mut methods = Vec::new();
    let mut topics = Map::new();
    for entry in listed {
        let name = &*entry.name;
        if name == DISCOVER {
            continue;
        }
        let method = match &entry.description {
            Some(Description::AliasOf(_)) => continue,
            None => json!({
                "name": name,
                "params": [],
                "result": {"name": "result", "schema": {}},
            }),
            Some(Description::Unsubscribe { of }) => json!({
                "name": name,
                "summary": format!("Ends a subscription of `{of}`."),
                "description": format!("Ends a subscription of `{of}` by its id; answers whether it ended one of this connection's."),
                "params": [{"name": "subscription", "required": true, "schema": {"type": "integer", "minimum": 0}}],
                "result": {"name": "ended", "schema": {"type": "boolean"}},
            }),
            Some(Description::Topic { role, info }) => {
                topics.insert(role.key().to_owned(), Value::from(name));
                method_object(name, info, &aliases(name), None, &mut schemas)
            }
            Some(Description::Method(info)) => method_object(
                name,
                info,
                &aliases(name),
                unsubscribe_of(name),
                &mut schemas,
            ),
        };
        methods.push(method);
    }

    let mut document = Map::new();
    document.insert("openrpc".into(), OPENRPC_VERSION.into());
    let mut service = Map::new();
    service.insert("title".into(), info.title.clone().into());
    service.insert("version".into(), info.version.clone().into());
    if let Some(description) = &info.description {
        service.insert("description".into(), description.clone().into());
    }
    document.insert("info".into(), service.into());
    if !info.servers.is_empty() {
        let servers = info.servers.iter().map(|url| json!({ "url": url }));
        document.insert("servers".into(), servers.collect());
    }
    document.insert("methods".into(), methods.into());
    let definitions = schemas.definitions();
    if !definitions.is_empty() {
        document.insert("components".into(), json!({ "schemas": definitions }));
    }
    if !topics.is_empty() {
        document.insert("x-topics".into(), topics.into());
    }
    document.into()
}

fn method_object(
    name: &str,
    info: &MethodInfo,
    aliases: &[&str],
    unsubscribe: Option<&str>,
    schemas: &mut Schemas,
) -> Value {
    let mut method = Map::new();
    method.insert("name".into(), name.into());
    let summary = info.summary();
    if !summary.is_empty() {
        method.insert("summary".into(), summary.into());
    }
    if !info.docs.is_empty() {
        method.insert("description".into(), info.docs.into());
    }
    let params: Vec<Value> = info
        .params
        .iter()
        .map(|param| {
            let mut descriptor = content(param.name, param.ty, param.schema, schemas);
            descriptor.insert("required".into(), (!param.optional).into());
            if param.flatten {
                descriptor.insert("x-flatten".into(), true.into());
            }
            descriptor.into()
        })
        .collect();
    method.insert("params".into(), params.into());
    if !info.notification {
        let result = match info.subscription {
            Some(_) => json!({
                "name": "subscription",
                "description": "The subscription id; its items arrive as notifications carrying it.",
                "schema": {"type": "integer", "minimum": 0},
            }),
            None => content("result", info.returns, info.result_schema, schemas).into(),
        };
        method.insert("result".into(), result);
    }
    if !info.errors.is_empty() {
        let errors = info
            .errors
            .iter()
            .map(|error| json!({"code": error.code.code(), "message": error.message}));
        method.insert("errors".into(), errors.collect());
    }
    if !aliases.is_empty() {
        method.insert("x-aliases".into(), aliases.into());
    }
    if let Some(subscription) = &info.subscription {
        method.insert(
            "x-subscription".into(),
            subscription_object(subscription, unsubscribe, schemas),
        );
    }
    if !info.guards.is_empty() {
        method.insert("x-guards".into(), info.guards.into());
    }
    method.into()
}

fn subscription_object(
    subscription: &SubscriptionInfo,
    unsubscribe: Option<&str>,
    schemas: &mut Schemas,
) -> Value {
    json!({
        "notification": subscription.notification,
        "unsubscribe": unsubscribe.unwrap_or(subscription.unsubscribe),
        "item": content("item", subscription.item, subscription.item_schema, schemas),
    })
}

/// A content descriptor: name, schema and the Rust type as written.
fn content(name: &str, ty: &str, schema: TypeSchema, schemas: &mut Schemas) -> Map<String, Value> {
    let mut descriptor = Map::new();
    descriptor.insert("name".into(), name.into());
    descriptor.insert("schema".into(), schemas.of(ty, schema));
    descriptor.insert("x-rust-type".into(), ty.into());
    descriptor
}

/// Makes the schemas of one document, collecting the definitions they share.
struct Schemas {
    #[cfg(feature = "schemars")]
    generator: schemars::SchemaGenerator,
}

impl Schemas {
    fn new() -> Self {
        Self {
            #[cfg(feature = "schemars")]
            generator: schemars::generate::SchemaSettings::draft07()
                .with(|settings| {
                    settings.definitions_path = "#/components/schemas/".into();
                    settings.meta_schema = None;
                })
                .into_generator(),
        }
    }

    /// The schema of `ty`: from `schemars` when it makes one, else its name.
    fn of(&mut self, ty: &str, schema: TypeSchema) -> Value {
        #[cfg(feature = "schemars")]
        if let Some(mut schema) = schema.make(&mut self.generator) {
            draft07(&mut schema);
            return schema.to_value();
        }
        #[cfg(not(feature = "schemars"))]
        let _ = schema;
        json!({ "title": ty })
    }

    /// The shared definitions the schemas refer to.
    fn definitions(&mut self) -> Map<String, Value> {
        #[cfg(feature = "schemars")]
        {
            let mut definitions = self.generator.take_definitions(false);
            for definition in definitions.values_mut() {
                if let Ok(schema) = <&mut schemars::Schema>::try_from(definition) {
                    draft07(schema);
                }
            }
            definitions
        }
        #[cfg(not(feature = "schemars"))]
        Map::new()
    }
}

/// Rewrites what `schemars` may write in newer drafts' words into draft 7's,
/// the draft of OpenRPC's schemas.
#[cfg(feature = "schemars")]
fn draft07(schema: &mut schemars::Schema) {
    use schemars::transform::{
        RemoveRefSiblings, ReplacePrefixItems, ReplaceUnevaluatedProperties, Transform,
    };
    ReplaceUnevaluatedProperties::default().transform(schema);
    RemoveRefSiblings::default().transform(schema);
    ReplacePrefixItems::default().transform(schema);
}
