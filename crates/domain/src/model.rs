//! The labelled enumerations of the registry.
//!
//! Each value has one Chinese label (what imports take and pages show, as DOMAIN.md names
//! them) and one stable English code (what the database and the JSON API store). Parsing
//! accepts either, after width folding, so an Excel sheet in Chinese and a script in English
//! both work.

use serde::{Deserialize, Serialize};

use crate::text::fold_width;
use crate::{Error, Result};

macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$variant_meta:meta])* $variant:ident = ($code:literal, $label:literal $(, $alias:literal)*) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Returns the Chinese label.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Returns the stable English code.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a Chinese label, an alias or the English code.
            pub fn parse(raw: &str) -> Result<Self> {
                let folded = fold_width(raw.trim());
                let wanted = folded.to_lowercase();
                $(
                    if wanted == $code || folded == $label $(|| folded == $alias)* {
                        return Ok($name::$variant);
                    }
                )+
                let labels: Vec<&str> = Self::ALL.iter().map(|value| value.label()).collect();
                Err(Error::new(format!("'{}' is not a known {} (one of: {})", raw, $what, labels.join("、"))))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str(self.label())
            }
        }
    };
}

labelled_enum! {
    /// The county's industrial chains (产业链).
    IndustryChain, "industry chain" {
        /// 铝材深加工: aluminium deep processing (铝型材, 高性能特种铝材, 活性氧化铝).
        Aluminium = ("aluminium", "铝材深加工", "铝材", "铝业"),
        /// 新材料: new materials, e.g. coating materials.
        NewMaterials = ("new_materials", "新材料"),
        /// 机电装备: electromechanical equipment.
        Equipment = ("equipment", "机电装备", "装备制造"),
        /// 汽车配件: auto parts.
        AutoParts = ("auto_parts", "汽车配件", "汽配"),
        /// 其他: anything else.
        Other = ("other", "其他", "其它"),
    }
}

labelled_enum! {
    /// The kind of an enterprise's R&D institution (研发机构).
    RdInstitutionKind, "R&D institution kind" {
        /// 企业技术中心.
        TechnologyCentre = ("technology_centre", "企业技术中心", "技术中心"),
        /// 工程技术研究中心.
        EngineeringResearchCentre = ("engineering_research_centre", "工程技术研究中心", "工程研究中心"),
        /// 工程实验室.
        EngineeringLab = ("engineering_lab", "工程实验室"),
        /// 重点实验室.
        KeyLab = ("key_lab", "重点实验室"),
        /// 研发中心.
        RdCentre = ("rd_centre", "研发中心"),
        /// 联合研发中心: built jointly with a university or institute.
        JointCentre = ("joint_centre", "联合研发中心", "共建研发中心"),
    }
}

labelled_enum! {
    /// The level of a recognition or programme (级别).
    Level, "level" {
        /// 国家级.
        National = ("national", "国家级"),
        /// 省级.
        Provincial = ("provincial", "省级"),
        /// 市级.
        Municipal = ("municipal", "市级"),
        /// 县级.
        County = ("county", "县级"),
    }
}

labelled_enum! {
    /// The kind of a technical need (技术需求).
    NeedKind, "need kind" {
        /// 技术攻关: solve a technical problem.
        Research = ("research", "技术攻关"),
        /// 成果转化: take up a research result.
        Transfer = ("transfer", "成果转化"),
        /// 共建平台: build a joint platform.
        Platform = ("platform", "共建平台"),
        /// 人才引进: bring in talent.
        Talent = ("talent", "人才引进"),
    }
}

labelled_enum! {
    /// Where a technical need stands.
    NeedStatus, "need status" {
        /// 待对接: open.
        Open = ("open", "待对接", "开放"),
        /// 对接中: being matched.
        InProgress = ("in_progress", "对接中"),
        /// 已解决: solved.
        Solved = ("solved", "已解决"),
        /// 已关闭: withdrawn or closed.
        Closed = ("closed", "已关闭", "关闭"),
    }
}

labelled_enum! {
    /// What an enterprise partners with.
    PartnerKind, "partner kind" {
        /// A lab of the registry.
        Lab = ("lab", "实验室"),
        /// An expert of the registry.
        Expert = ("expert", "专家"),
        /// A university or institute, by name.
        Institution = ("institution", "机构", "高校院所"),
    }
}

labelled_enum! {
    /// The form a cooperation takes (its evidence for coverage A).
    PartnershipKind, "partnership kind" {
        /// 技术开发合同.
        DevelopmentContract = ("development_contract", "技术开发合同", "技术开发"),
        /// 技术转让合同.
        TransferContract = ("transfer_contract", "技术转让合同", "技术转让"),
        /// 技术咨询合同.
        ConsultingContract = ("consulting_contract", "技术咨询合同", "技术咨询"),
        /// 技术服务合同.
        ServiceContract = ("service_contract", "技术服务合同", "技术服务"),
        /// 联合实验室.
        JointLab = ("joint_lab", "联合实验室"),
        /// 共建研发中心.
        JointCentre = ("joint_centre", "共建研发中心", "联合研发中心"),
        /// 院士工作站.
        AcademicianWorkstation = ("academician_workstation", "院士工作站"),
        /// 科技特派员.
        Commissioner = ("commissioner", "科技特派员"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_labels_aliases_and_codes() {
        assert_eq!(
            IndustryChain::parse("铝材深加工").expect("label"),
            IndustryChain::Aluminium
        );
        assert_eq!(
            IndustryChain::parse(" aluminium ").expect("code"),
            IndustryChain::Aluminium
        );
        assert_eq!(
            IndustryChain::parse("汽配").expect("alias"),
            IndustryChain::AutoParts
        );
        assert_eq!(
            PartnershipKind::parse("技术开发").expect("short"),
            PartnershipKind::DevelopmentContract
        );
        let error = Level::parse("乡级").expect_err("unknown");
        assert!(
            error.to_string().contains("国家级、省级、市级、县级"),
            "{error}"
        );
    }

    #[test]
    fn labels_and_codes_round_trip() {
        for value in IndustryChain::ALL {
            assert_eq!(IndustryChain::parse(value.label()).expect("label"), *value);
            assert_eq!(IndustryChain::parse(value.code()).expect("code"), *value);
        }
        for value in PartnershipKind::ALL {
            assert_eq!(
                PartnershipKind::parse(value.label()).expect("label"),
                *value
            );
        }
        for value in RdInstitutionKind::ALL {
            assert_eq!(
                RdInstitutionKind::parse(value.code()).expect("code"),
                *value
            );
        }
    }
}
