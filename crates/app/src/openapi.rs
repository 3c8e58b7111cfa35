//! JSON Schemas for request fields whose rules the derive cannot state on its own: a choice
//! from one of the domain's labelled lists (built from the list itself, so the document and
//! the parser cannot drift apart), an optional date, text that must not be blank.
//!
//! Why: clients and the contract test (schemathesis) generate requests from the document; a
//! rule the server enforces but the document does not state makes valid-looking requests fail,
//! and a rule the document states but the server does not enforce lets bad data in.

use utoipa::openapi::Object;
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};

/// A string that must be one of `values`.
pub fn choice<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> Object {
    let mut values: Vec<&str> = values.into_iter().collect();
    values.dedup();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

/// A labelled list's codes and Chinese labels (what its `parse` accepts, without aliases).
macro_rules! labels_of {
    ($kind:ty) => {
        <$kind>::ALL
            .iter()
            .flat_map(|value| [value.code(), value.label()])
    };
}

/// A day, `YYYY-MM-DD`.
pub fn day() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .build()
}

/// A day, or empty (not given).
pub fn optional_day() -> Schema {
    OneOfBuilder::new()
        .item(day())
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .build()
        .into()
}

/// Text with at least one non-space character and at most `max` characters.
pub fn required_text(max: usize) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"\S"))
        .max_length(Some(max))
        .build()
}

/// Text of at most `max` characters, or null.
pub fn optional_text(max: usize) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(max))
        .build()
}

/// `kind` of a partnership's evidence: a code or label of `PartnershipKind`.
pub fn partnership_kind() -> Object {
    choice(
        labels_of!(labbridge_domain::model::PartnershipKind),
        "技术开发合同 … 科技特派员, as code or label",
    )
}

/// A recognition level (国家级 … 县级), as code or label, or empty.
pub fn optional_level() -> Object {
    choice(
        labels_of!(labbridge_domain::model::Level).chain([""]),
        "国家级, 省级, 市级 or 县级 (code or label); empty when not given",
    )
}

/// `partner_kind` of an exclusion: a lab or an expert of the registry.
pub fn excluded_partner_kind() -> Object {
    choice(["lab", "expert"], "`lab` or `expert`")
}

/// A need's kind, as code or label, or empty (not given).
pub fn optional_need_kind() -> Object {
    choice(
        labels_of!(labbridge_domain::model::NeedKind).chain([""]),
        "research, transfer, platform or talent (code or label); empty when not given",
    )
}

/// A need's status, as code or label, or empty (open when new).
pub fn optional_need_status() -> Object {
    choice(
        labels_of!(labbridge_domain::model::NeedStatus).chain([""]),
        "open, in_progress, solved or closed (code or label); empty when not given",
    )
}

/// A decline reason code.
pub fn decline_reason() -> Object {
    choice(
        labels_of!(labbridge_domain::proposal::DeclineReason),
        "why the enterprise declines",
    )
}

#[cfg(test)]
mod tests {
    use labbridge_domain::model::{Level, NeedKind, NeedStatus, PartnershipKind};
    use labbridge_domain::proposal::DeclineReason;

    use super::*;

    fn values(object: &Object) -> Vec<String> {
        object
            .enum_values
            .iter()
            .flatten()
            .filter_map(|value| value.as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn every_listed_value_parses_and_every_kind_is_listed() {
        for value in values(&partnership_kind()) {
            assert!(PartnershipKind::parse(&value).is_ok(), "{value}");
        }
        for value in values(&optional_level()).iter().filter(|v| !v.is_empty()) {
            assert!(Level::parse(value).is_ok(), "{value}");
        }
        for value in values(&optional_need_kind())
            .iter()
            .filter(|v| !v.is_empty())
        {
            assert!(NeedKind::parse(value).is_ok(), "{value}");
        }
        for value in values(&optional_need_status())
            .iter()
            .filter(|v| !v.is_empty())
        {
            assert!(NeedStatus::parse(value).is_ok(), "{value}");
        }
        for value in values(&decline_reason()) {
            assert!(DeclineReason::parse(&value).is_ok(), "{value}");
        }
        let listed = values(&partnership_kind());
        for kind in PartnershipKind::ALL {
            assert!(listed.iter().any(|value| value == kind.code()));
            assert!(listed.iter().any(|value| value == kind.label()));
        }
    }
}
