//! The demo county: 临朐县 (Weifang, Shandong — a centre of China's aluminium-profile industry)
//! with its real ten towns and streets, 246 规上 enterprises on this year's roster of which
//! exactly 64 are fully covered (the 26% of the county speech), technical needs in realistic
//! Chinese, about 300 labs and 3,000 experts at real universities, and the real talent
//! programmes.
//!
//! Everything is generated from a fixed seed, so two loads give the same registry. The people,
//! firms and labs are fictional and marked as demo data: their ids start with `demo-` and their
//! e-mail addresses are on the reserved `.invalid` domain. The towns, universities and
//! programmes are real.
//!
//! The rows go through the same validation and writing as any import (`App::import_rows`), so
//! the demo cannot hold anything an import would refuse.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use labbridge_domain::{CreditCode, Divisions, Institutions};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{Value, json};

use crate::import::{ImportKind, ImportSummary, Progress, Row};
use crate::{App, Error, Result};

/// The seed of the demo county.
pub const SEED: u64 = 20_261_127;
/// The demo county's division code (临朐县).
pub const COUNTY_CODE: &str = "370724";
/// Enterprises on the demo roster.
pub const ENTERPRISES: usize = 246;
/// Of which fully covered.
pub const COVERED: usize = 64;
/// Marker that starts every demo id.
pub const ID_PREFIX: &str = "demo-";

const DEMO_MAIL_DOMAIN: &str = "demo.labbridge.invalid";
/// The demo's bureau account (demo only: the password is public).
pub const DEMO_STAFF_LOGIN: &str = "demo-staff";
/// Its password.
pub const DEMO_STAFF_PASSWORD: &str = "labbridge-demo";
/// The demo's admin (manages accounts, reads the audit log).
pub const DEMO_ADMIN_LOGIN: &str = "demo-admin";
/// The demo's auditor (reads everything staff read, changes nothing).
pub const DEMO_AUDITOR_LOGIN: &str = "demo-auditor";

/// The real talent programmes of the county speech and DOMAIN.md: (id, name, level, description).
const PROGRAMS: [(&str, &str, &str, &str); 9] = [
    (
        "prog-academician",
        "两院院士",
        "国家级",
        "中国科学院院士和中国工程院院士，是国家设立的科学技术和工程科学技术方面的最高学术称号。可通过院士工作站与企业开展合作。",
    ),
    (
        "prog-changjiang",
        "长江学者奖励计划",
        "国家级",
        "教育部设立的高层次人才计划，包括长江学者特聘教授和讲座教授。",
    ),
    (
        "prog-jieqing",
        "国家杰出青年科学基金",
        "国家级",
        "国家自然科学基金委员会资助在基础研究方面已取得突出成绩的青年学者自主选择研究方向开展创新研究。",
    ),
    (
        "prog-youqing",
        "国家优秀青年科学基金",
        "国家级",
        "国家自然科学基金委员会支持在基础研究方面已取得较好成绩的青年学者。",
    ),
    (
        "prog-wanren",
        "国家高层次人才特殊支持计划",
        "国家级",
        "即“万人计划”，面向国内高层次人才的国家级重点支持计划。",
    ),
    (
        "prog-taishan-scholar",
        "泰山学者",
        "省级",
        "山东省设立的高层次人才工程，支持在鲁高校、科研院所和企业的学科带头人。",
    ),
    (
        "prog-taishan-industry",
        "泰山产业领军人才",
        "省级",
        "山东省面向产业一线的人才工程，支持企业引进和培养产业技术领军人才，可到企业任职或兼职。",
    ),
    (
        "prog-taishan-young",
        "泰山学者青年专家",
        "省级",
        "山东省支持青年拔尖人才的人才工程。",
    ),
    (
        "prog-yuandu",
        "鸢都产业领军人才",
        "市级",
        "潍坊市支持产业技术创新的领军人才工程。",
    ),
];

/// A research topic: what its labs are called, what their experts work on.
struct Topic {
    stem: &'static str,
    fields: &'static [&'static str],
    universities: &'static [&'static str],
    achievements: &'static [&'static str],
    industry_link: &'static str,
    weight: u32,
}

const TOPICS: &[Topic] = &[
    Topic {
        stem: "轻合金精密成形",
        fields: &["铝合金", "挤压", "铝型材", "模具设计", "精密成形"],
        universities: &[
            "北京科技大学",
            "中南大学",
            "燕山大学",
            "山东大学",
            "重庆大学",
            "东北大学",
        ],
        achievements: &[
            "在6系铝合金型材挤压过程组织演变与表面质量控制方面取得系统成果",
            "提出了复杂截面铝型材分流模设计的数值优化方法",
        ],
        industry_link: "长期与铝型材企业合作开展挤压模具优化和工艺改进",
        weight: 20,
    },
    Topic {
        stem: "铝合金热处理与组织调控",
        fields: &["热处理", "时效", "固溶", "7075", "6061", "T6"],
        universities: &[
            "中南大学",
            "北京科技大学",
            "东北大学",
            "湖南大学",
            "山东大学",
        ],
        achievements: &[
            "系统研究了7xxx系高强铝合金时效析出行为与应力腐蚀机理",
            "开发了铝合金型材在线淬火与双级时效工艺",
        ],
        industry_link: "为多家铝加工企业制定热处理工艺规范",
        weight: 18,
    },
    Topic {
        stem: "高性能铝合金材料",
        fields: &["高强铝合金", "合金设计", "航空铝材", "铝合金"],
        universities: &[
            "中南大学",
            "东北大学",
            "北京科技大学",
            "哈尔滨工业大学",
            "西北工业大学",
            "上海交通大学",
        ],
        achievements: &[
            "研制出多种航空航天用高强高韧铝合金",
            "在铝合金成分设计与微合金化方面形成特色方向",
        ],
        industry_link: "参与高性能特种铝材的工程化和产业化",
        weight: 16,
    },
    Topic {
        stem: "材料表面工程",
        fields: &["阳极氧化", "电泳涂装", "粉末喷涂", "表面处理", "耐腐蚀"],
        universities: &[
            "哈尔滨工业大学",
            "北京科技大学",
            "武汉理工大学",
            "青岛科技大学",
            "华南理工大学",
        ],
        achievements: &[
            "开发了铝合金低能耗阳极氧化和无铬钝化技术",
            "在金属表面防护与耐蚀涂层方面取得多项成果",
        ],
        industry_link: "帮助企业完成表面处理生产线的环保改造",
        weight: 14,
    },
    Topic {
        stem: "无机功能材料与氧化铝",
        fields: &["活性氧化铝", "氧化铝", "吸附材料", "催化剂载体", "煅烧"],
        universities: &[
            "中南大学",
            "东北大学",
            "中国石油大学（华东）",
            "北京化工大学",
            "华东理工大学",
        ],
        achievements: &[
            "开发了高比表面积活性氧化铝的成型与活化焙烧技术",
            "在拟薄水铝石制备与催化剂载体方面有系统研究",
        ],
        industry_link: "与多家氧化铝企业合作开发高附加值产品",
        weight: 10,
    },
    Topic {
        stem: "有色金属冶金与再生",
        fields: &["铝冶金", "熔铸", "再生铝", "除气精炼", "铸锭"],
        universities: &[
            "东北大学",
            "中南大学",
            "昆明理工大学",
            "北京科技大学",
            "山东理工大学",
        ],
        achievements: &[
            "研究了再生铝熔体净化与杂质元素控制技术",
            "开发了铝合金熔体在线除气精炼装置",
        ],
        industry_link: "为铝熔铸企业提供熔体质量控制方案",
        weight: 10,
    },
    Topic {
        stem: "功能涂层与涂装材料",
        fields: &["涂料", "涂装", "防腐涂层", "水性涂料", "粉末涂料"],
        universities: &[
            "青岛科技大学",
            "华南理工大学",
            "北京化工大学",
            "齐鲁工业大学",
            "武汉理工大学",
        ],
        achievements: &[
            "开发了水性工业防腐涂料和低温固化粉末涂料",
            "在涂层失效机理与寿命评价方面有深入研究",
        ],
        industry_link: "与涂装新材料企业合作完成多项成果转化",
        weight: 14,
    },
    Topic {
        stem: "高分子复合材料",
        fields: &["复合材料", "树脂基", "碳纤维", "玻璃纤维", "成型工艺"],
        universities: &[
            "哈尔滨工业大学",
            "北京化工大学",
            "青岛科技大学",
            "山东大学",
            "武汉理工大学",
        ],
        achievements: &[
            "在碳纤维增强树脂基复合材料成型与界面调控方面取得成果",
            "开发了热塑性复合材料快速成型技术",
        ],
        industry_link: "为企业解决复合材料制品成型缺陷问题",
        weight: 10,
    },
    Topic {
        stem: "纳米功能材料",
        fields: &["纳米材料", "改性", "分散", "功能涂层"],
        universities: &[
            "山东大学",
            "济南大学",
            "青岛科技大学",
            "浙江大学",
            "天津大学",
        ],
        achievements: &[
            "发展了纳米粉体表面改性与均匀分散方法",
            "研制出纳米改性耐磨功能涂层",
        ],
        industry_link: "推动纳米改性材料在涂料和塑料中的应用",
        weight: 8,
    },
    Topic {
        stem: "新能源材料",
        fields: &["电池材料", "储能", "锂电池", "前驱体"],
        universities: &[
            "中南大学",
            "山东大学",
            "天津大学",
            "华中科技大学",
            "青岛科技大学",
        ],
        achievements: &[
            "在锂离子电池正极材料及前驱体制备方面有系统研究",
            "开发了高安全储能电池材料",
        ],
        industry_link: "与电池材料企业共建研发平台",
        weight: 8,
    },
    Topic {
        stem: "智能制造与数控装备",
        fields: &["数控机床", "智能制造", "工业机器人", "机电一体化"],
        universities: &[
            "华中科技大学",
            "山东大学",
            "哈尔滨工业大学",
            "西安交通大学",
            "山东理工大学",
            "天津大学",
        ],
        achievements: &[
            "研发了数控机床热误差建模与补偿技术",
            "在智能产线数字孪生与工业机器人应用方面成果突出",
        ],
        industry_link: "为装备制造企业实施智能化改造",
        weight: 16,
    },
    Topic {
        stem: "电机与电力电子驱动",
        fields: &["电机", "永磁同步", "变频调速", "伺服驱动", "控制系统"],
        universities: &[
            "哈尔滨工业大学",
            "浙江大学",
            "华中科技大学",
            "山东大学",
            "合肥工业大学",
        ],
        achievements: &[
            "在高效永磁同步电机设计与噪声振动抑制方面取得成果",
            "开发了高性能伺服驱动控制系统",
        ],
        industry_link: "与电机企业合作开发高效节能产品",
        weight: 12,
    },
    Topic {
        stem: "流体传动与控制",
        fields: &["液压系统", "泵", "阀门", "流体仿真", "密封"],
        universities: &[
            "浙江大学",
            "燕山大学",
            "太原理工大学",
            "山东大学",
            "兰州理工大学",
        ],
        achievements: &[
            "研究了液压元件泄漏机理与可靠性设计方法",
            "开发了电液伺服控制系统",
        ],
        industry_link: "帮助液压装备企业提高产品可靠性",
        weight: 10,
    },
    Topic {
        stem: "机械结构可靠性",
        fields: &["机械设计", "有限元", "疲劳寿命", "可靠性", "轻量化"],
        universities: &[
            "大连理工大学",
            "吉林大学",
            "西北工业大学",
            "山东科技大学",
            "青岛理工大学",
        ],
        achievements: &[
            "建立了机械结构疲劳寿命预测与可靠性评估方法",
            "在结构拓扑优化与轻量化设计方面有系统研究",
        ],
        industry_link: "为企业开展产品结构有限元分析与优化设计",
        weight: 10,
    },
    Topic {
        stem: "汽车轻量化",
        fields: &["轻量化", "铝合金车身", "压铸", "一体化压铸", "汽车零部件"],
        universities: &[
            "吉林大学",
            "湖南大学",
            "重庆大学",
            "上海交通大学",
            "江苏大学",
            "北京科技大学",
        ],
        achievements: &[
            "在汽车铝合金结构件一体化压铸与轻量化设计方面成果突出",
            "开发了高真空压铸铝合金材料与工艺",
        ],
        industry_link: "与汽车零部件企业合作开发轻量化铝合金部件",
        weight: 16,
    },
    Topic {
        stem: "汽车零部件先进制造",
        fields: &["汽车零部件", "冲压", "焊接", "质量检测", "模具"],
        universities: &[
            "吉林大学",
            "湖南大学",
            "江苏大学",
            "山东交通学院",
            "合肥工业大学",
        ],
        achievements: &[
            "研究了高强钢冲压件回弹预测与模具补偿方法",
            "开发了汽车零部件焊接质量在线检测系统",
        ],
        industry_link: "为汽配企业解决冲压和焊接质量问题",
        weight: 12,
    },
    Topic {
        stem: "新能源汽车动力系统",
        fields: &["新能源汽车", "电驱动", "电池包", "热管理"],
        universities: &[
            "清华大学",
            "北京理工大学",
            "吉林大学",
            "同济大学",
            "长安大学",
        ],
        achievements: &[
            "在新能源汽车电驱动系统集成与热管理方面取得成果",
            "开发了动力电池包热管理与安全防护技术",
        ],
        industry_link: "与整车及零部件企业合作开发电驱动部件",
        weight: 10,
    },
    Topic {
        stem: "摩擦学与制动",
        fields: &["摩擦材料", "制动系统", "刹车片", "磨损"],
        universities: &["吉林大学", "合肥工业大学", "西北工业大学", "长安大学"],
        achievements: &[
            "开发了环保型无铜摩擦材料配方",
            "在制动摩擦副磨损机理方面有深入研究",
        ],
        industry_link: "帮助刹车片企业完成环保配方升级",
        weight: 8,
    },
    Topic {
        stem: "药物化学",
        fields: &["药物合成", "药物化学", "新药研发", "制剂"],
        universities: &["中国药科大学", "沈阳药科大学", "四川大学", "山东大学"],
        achievements: &[
            "在小分子靶向药物设计与合成方面取得成果",
            "开发了多个候选新药",
        ],
        industry_link: "与医药企业合作开展新药研发",
        weight: 6,
    },
    Topic {
        stem: "作物遗传育种",
        fields: &["育种", "作物", "分子育种", "种质资源"],
        universities: &["山东农业大学", "南京农业大学", "中国农业大学"],
        achievements: &[
            "选育了多个小麦、玉米新品种",
            "在分子标记辅助育种方面有系统研究",
        ],
        industry_link: "与种业企业合作推广新品种",
        weight: 5,
    },
    Topic {
        stem: "机器视觉与智能检测",
        fields: &["机器视觉", "图像识别", "深度学习", "缺陷检测"],
        universities: &["西安电子科技大学", "华中科技大学", "山东大学", "浙江大学"],
        achievements: &[
            "开发了基于深度学习的工业产品表面缺陷检测系统",
            "在三维视觉测量方面取得成果",
        ],
        industry_link: "为制造企业提供视觉检测解决方案",
        weight: 8,
    },
    Topic {
        stem: "食品科学与发酵工程",
        fields: &["食品加工", "食品安全", "发酵", "功能食品"],
        universities: &["江南大学", "中国海洋大学", "山东农业大学"],
        achievements: &[
            "在发酵食品风味形成与质量控制方面取得成果",
            "开发了多种功能食品",
        ],
        industry_link: "与食品企业合作开发新产品",
        weight: 4,
    },
];

const LAB_LEVELS: [(&str, &str, u32); 6] = [
    ("全国重点实验室", "全国重点实验室", 6),
    ("教育部重点实验室", "教育部重点实验室", 14),
    ("教育部工程研究中心", "教育部工程研究中心", 12),
    ("省重点实验室", "省重点实验室", 28),
    ("省工程技术研究中心", "工程技术研究中心", 22),
    ("校级研究中心", "研究中心", 18),
];

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔向汤";
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂华建国志文晓红宇鹏辉林海峰波斌宏云飞亮成新瑞博昊晨阳睿哲思雪梅琳欣佳玉洁春立德庆松振兴";
const TITLES: [(&str, u32); 6] = [
    ("教授", 40),
    ("副教授", 25),
    ("研究员", 10),
    ("副研究员", 5),
    ("讲师", 10),
    ("高级工程师", 10),
];

/// Town weights: how many of the 246 enterprises each town has (uneven, as the speech says).
const TOWN_ENTERPRISES: [(&str, usize, f64); 10] = [
    ("城关街道", 40, 1.5),
    ("东城街道", 36, 1.6),
    ("冶源街道", 28, 1.1),
    ("辛寨街道", 26, 0.9),
    ("五井镇", 22, 0.8),
    ("寺头镇", 18, 0.6),
    ("九山镇", 14, 0.3),
    ("山旺镇", 22, 1.0),
    ("柳山镇", 16, 0.5),
    ("蒋峪镇", 24, 0.7),
];

struct Chain {
    label: &'static str,
    /// GB/T 4754 industry codes of the chain's enterprises, taken in turn.
    industry_codes: &'static [&'static str],
    count: usize,
    words: &'static [&'static str],
    products: &'static [&'static str],
    topics: &'static [&'static str],
    needs: &'static [NeedTemplate],
}

struct NeedTemplate {
    title: &'static str,
    description: &'static str,
    fields: &'static [&'static str],
    kind: &'static str,
}

const ALUMINIUM_NEEDS: &[NeedTemplate] = &[
    NeedTemplate {
        title: "6063铝合金型材挤压表面条纹缺陷攻关",
        description: "我公司主要生产建筑及工业铝型材，近期6063合金型材挤压后表面出现纵向条纹和麻点，成品率仅85%左右。希望与高校合作分析缺陷成因，优化铸棒均匀化、模具设计和挤压工艺参数，将成品率提高到95%以上。",
        fields: &["铝合金", "挤压", "表面缺陷", "模具设计"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "高强度7系铝合金热处理工艺优化",
        description: "公司计划开发用于轨道交通和新能源汽车的7075高强铝合金型材，目前T6热处理后强度波动大，存在应力腐蚀开裂风险。需要专家在固溶、时效制度和淬火变形控制方面给予指导，建立稳定的热处理工艺规范。",
        fields: &["热处理", "7075", "时效", "高强铝合金"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "铝型材阳极氧化及电泳涂装生产线环保改造",
        description: "现有阳极氧化和电泳涂装生产线能耗高、废水处理压力大。希望引进低能耗阳极氧化、无铬钝化等表面处理新技术，在保证膜层耐腐蚀性能的前提下降低能耗和排放。",
        fields: &["阳极氧化", "电泳涂装", "表面处理", "耐腐蚀"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "活性氧化铝产品比表面积和强度提升",
        description: "新建活性氧化铝生产线已建成，但产品比表面积和压碎强度不稳定，尚未达产。希望与科研院所合作优化成型和活化焙烧工艺，开发用于吸附剂、催化剂载体的高附加值产品。",
        fields: &["活性氧化铝", "吸附材料", "煅烧", "催化剂载体"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "再生铝熔铸除气精炼技术",
        description: "公司计划提高再生铝使用比例，但熔体含氢量和夹杂物偏高，铸棒质量不稳定。需要熔体净化、除气精炼和杂质元素控制方面的技术支持。",
        fields: &["再生铝", "熔铸", "除气精炼", "铸锭"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "新能源汽车电池托盘铝型材开发",
        description: "公司拟开发新能源汽车电池托盘用大断面铝合金型材，需要解决型材挤压成形、搅拌摩擦焊接和轻量化结构设计问题，希望与高校联合开发。",
        fields: &["电池托盘", "铝型材", "轻量化", "挤压"],
        kind: "成果转化",
    },
    NeedTemplate {
        title: "共建铝合金材料联合研发中心",
        description: "为申报省级企业技术中心，公司希望与高校共建铝合金材料联合研发中心，围绕高性能铝型材和特种铝材开展长期合作，并由高校派驻研发人员。",
        fields: &["铝合金", "研发中心", "高性能特种铝材"],
        kind: "共建平台",
    },
    NeedTemplate {
        title: "引进铝加工领域高层次人才",
        description: "公司拟引进铝合金材料或塑性加工方向的博士或泰山产业领军人才，负责新产品开发和技术团队建设，可提供科研经费和住房补贴。",
        fields: &["铝合金", "塑性加工", "人才引进"],
        kind: "人才引进",
    },
];

const MATERIALS_NEEDS: &[NeedTemplate] = &[
    NeedTemplate {
        title: "水性工业防腐涂料耐盐雾性能提升",
        description: "公司生产的水性工业防腐涂料耐盐雾时间不足500小时，达不到钢结构和铝型材客户要求。希望在树脂选择、防锈颜料和配方设计方面得到专家指导。",
        fields: &["水性涂料", "防腐涂层", "耐盐雾", "涂装"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "粉末涂料低温固化配方开发",
        description: "为降低铝型材喷涂能耗，需要开发160℃以下低温固化粉末涂料，并保证涂层流平性、附着力和耐候性。",
        fields: &["粉末涂料", "低温固化", "配方设计", "涂装"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "碳纤维增强树脂基复合材料成型工艺",
        description: "公司计划生产碳纤维复合材料结构件，目前成型周期长、孔隙率高。希望与高校合作优化树脂体系和成型工艺。",
        fields: &["复合材料", "碳纤维", "树脂基", "成型工艺"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "纳米改性耐磨功能涂层开发",
        description: "希望开发纳米粉体改性的耐磨功能涂层，解决纳米颗粒团聚和分散稳定性问题，用于机械零部件表面防护。",
        fields: &["纳米材料", "功能涂层", "改性", "分散"],
        kind: "成果转化",
    },
    NeedTemplate {
        title: "锂电池正极材料前驱体工艺优化",
        description: "公司前驱体产品振实密度偏低、批次一致性差，需要在共沉淀工艺控制和杂质去除方面获得技术支持。",
        fields: &["电池材料", "锂电池", "前驱体"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "共建涂装新材料工程实验室",
        description: "公司在建涂装新材料项目，希望与高校共建工程实验室，开展新产品研发、检测评价和人才培养。",
        fields: &["涂装", "新材料", "工程实验室"],
        kind: "共建平台",
    },
    NeedTemplate {
        title: "高性能涂装新材料科研成果转化",
        description: "寻求高校院所已完成中试的高性能涂装新材料成果，在我公司实现产业化，可采取技术转让或合作开发方式。",
        fields: &["涂装", "新材料", "成果转化"],
        kind: "成果转化",
    },
];

const EQUIPMENT_NEEDS: &[NeedTemplate] = &[
    NeedTemplate {
        title: "铝型材挤压机智能控制系统开发",
        description: "公司生产的铝型材挤压机控制系统依赖进口，需要开发具有等温挤压和速度闭环控制功能的智能控制系统，实现机电一体化升级。",
        fields: &["智能制造", "控制系统", "机电一体化", "挤压"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "数控机床主轴热变形误差补偿",
        description: "我公司数控机床在连续加工时主轴热变形导致精度下降，希望建立热误差模型并开发补偿系统。",
        fields: &["数控机床", "热变形", "精度补偿"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "工业机器人上下料工作站集成",
        description: "计划为冲压和机加工产线建设工业机器人上下料工作站，需要在工装夹具、视觉定位和系统集成方面得到支持。",
        fields: &["工业机器人", "智能制造", "机器视觉"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "永磁同步电机效率提升与噪声控制",
        description: "公司永磁同步电机产品效率未达到IE4标准，运行噪声偏大，需要电磁设计优化和振动噪声抑制方面的专家。",
        fields: &["电机", "永磁同步", "噪声振动"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "液压系统泄漏与可靠性改进",
        description: "公司液压设备在用户现场出现泄漏和压力波动，希望分析密封失效原因，提高液压系统可靠性。",
        fields: &["液压系统", "可靠性", "密封"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "设备结构有限元分析与轻量化设计",
        description: "产品机架重量大、成本高，希望借助有限元分析和拓扑优化在保证刚度和疲劳寿命的前提下实现轻量化。",
        fields: &["有限元", "机械设计", "轻量化", "疲劳寿命"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "基于机器视觉的产品表面缺陷在线检测",
        description: "人工目检效率低、漏检率高，希望开发基于机器视觉和深度学习的表面缺陷在线检测系统。",
        fields: &["机器视觉", "缺陷检测", "图像识别"],
        kind: "成果转化",
    },
];

const AUTO_NEEDS: &[NeedTemplate] = &[
    NeedTemplate {
        title: "铝合金转向节低压铸造缺陷控制",
        description: "公司生产的A356铝合金转向节低压铸造件存在缩松和气孔缺陷，X光探伤合格率低。希望优化铸造工艺和模具冷却系统。",
        fields: &["压铸", "铝合金", "铸造缺陷", "汽车零部件"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "汽车底盘件轻量化设计",
        description: "主机厂要求底盘结构件减重15%，希望与高校合作开展铝合金替代和结构优化设计，并完成台架试验验证。",
        fields: &["轻量化", "汽车零部件", "有限元", "铝合金"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "刹车片无铜摩擦材料配方开发",
        description: "出口市场要求刹车片摩擦材料无铜化，需要开发新的配方并保证摩擦系数稳定性和磨损寿命。",
        fields: &["摩擦材料", "制动系统", "刹车片"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "新能源汽车电机壳体一体化压铸",
        description: "公司拟上马新能源汽车电机壳体一体化压铸项目，需要高真空压铸工艺、免热处理铝合金材料方面的技术支持。",
        fields: &["一体化压铸", "新能源汽车", "压铸", "铝合金"],
        kind: "成果转化",
    },
    NeedTemplate {
        title: "冲压件回弹控制与模具优化",
        description: "高强钢冲压件回弹大，模具调试周期长，希望借助仿真分析实现回弹预测和模具补偿。",
        fields: &["冲压", "模具", "回弹"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "汽车零部件焊接质量在线检测",
        description: "希望建立焊接过程监测和焊缝质量在线检测系统，降低售后质量问题。",
        fields: &["焊接", "质量检测", "机器视觉"],
        kind: "技术攻关",
    },
    NeedTemplate {
        title: "新能源汽车电池包热管理部件开发",
        description: "公司计划开发电池包液冷板等热管理部件，需要热仿真设计和钎焊工艺方面的合作。",
        fields: &["热管理", "电池包", "新能源汽车"],
        kind: "共建平台",
    },
];

const CHAINS: [Chain; 4] = [
    Chain {
        label: "铝材深加工",
        industry_codes: &["C3252", "C3216", "C3360"],
        count: 96,
        words: &["铝业", "铝材", "铝业科技", "新型铝材", "铝制品"],
        products: &[
            "建筑铝型材",
            "工业铝型材",
            "系统门窗",
            "轨道交通铝型材",
            "散热器型材",
            "高性能特种铝材",
            "铝合金模板",
            "活性氧化铝",
            "铝合金铸棒",
        ],
        topics: &[
            "轻合金精密成形",
            "铝合金热处理与组织调控",
            "高性能铝合金材料",
            "材料表面工程",
            "无机功能材料与氧化铝",
            "有色金属冶金与再生",
        ],
        needs: ALUMINIUM_NEEDS,
    },
    Chain {
        label: "新材料",
        industry_codes: &["C2641", "C3062", "C3841", "C2929"],
        count: 46,
        words: &["新材料", "涂料", "新型材料", "化工新材料", "复合材料"],
        products: &[
            "粉末涂料",
            "水性工业涂料",
            "防腐涂料",
            "碳纤维复合材料制品",
            "纳米改性母粒",
            "电池正极材料前驱体",
        ],
        topics: &[
            "功能涂层与涂装材料",
            "高分子复合材料",
            "纳米功能材料",
            "新能源材料",
        ],
        needs: MATERIALS_NEEDS,
    },
    Chain {
        label: "机电装备",
        industry_codes: &["C3444", "C3421", "C3812", "C3441"],
        count: 54,
        words: &["机械", "机电设备", "智能装备", "重工", "液压机械"],
        products: &[
            "铝型材挤压机",
            "数控机床",
            "工业机器人工作站",
            "永磁同步电机",
            "液压系统",
            "环保设备",
        ],
        topics: &[
            "智能制造与数控装备",
            "电机与电力电子驱动",
            "流体传动与控制",
            "机械结构可靠性",
        ],
        needs: EQUIPMENT_NEEDS,
    },
    Chain {
        label: "汽车配件",
        industry_codes: &["C3670"],
        count: 50,
        words: &["汽车部件", "汽车零部件", "车桥", "汽配", "精密铸造"],
        products: &[
            "铝合金轮毂",
            "转向节",
            "刹车片",
            "冲压件",
            "电机壳体",
            "液冷板",
        ],
        topics: &[
            "汽车轻量化",
            "汽车零部件先进制造",
            "新能源汽车动力系统",
            "摩擦学与制动",
        ],
        needs: AUTO_NEEDS,
    },
];

const BRANDS: &str = "华宏鑫泰源恒达兴盛瑞祥丰裕隆昌东建金海天永嘉润新盛宇正凯鸿远博创";
const OWNERS: [&str; 5] = ["kjj-wang", "kjj-li", "kjj-zhang", "kjj-liu", "kjj-chen"];

/// Rows of every kind, in load order.
#[derive(Debug, Clone, Default)]
pub struct DemoData {
    /// (kind, rows) in the order they must be imported.
    pub kinds: Vec<(ImportKind, Vec<Row>)>,
}

/// What loading the demo did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoSummary {
    /// One summary per kind.
    pub imports: Vec<ImportSummary>,
}

fn weighted<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut pick = rng.random_range(0..total.max(1));
    for item in items {
        let item_weight = weight(item);
        if pick < item_weight {
            return item;
        }
        pick -= item_weight;
    }
    &items[items.len() - 1]
}

fn pick_chars(rng: &mut ChaCha8Rng, pool: &str, count: usize) -> String {
    let characters: Vec<char> = pool.chars().collect();
    (0..count)
        .map(|_| characters[rng.random_range(0..characters.len())])
        .collect()
}

fn rows(values: Vec<Value>) -> Vec<Row> {
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| Row {
            number: index + 1,
            cells: match value {
                Value::Object(object) => object.into_iter().collect::<BTreeMap<_, _>>(),
                _ => BTreeMap::new(),
            },
        })
        .collect()
}

fn date(year: i32, month: u32, day: u32) -> String {
    format!("{year:04}-{month:02}-{day:02}")
}

/// Moves some of the demo's dates into the current year, so that the dashboard has something
/// to show on any day it is loaded: about a third of the cooperations in force began this
/// year (the trend rises month by month to today's figure), and a few end or come up for
/// review in the weeks before 31 December (coverage at risk). Today's coverage is unchanged.
/// Does nothing for another year, or when the year has less than a week left.
pub fn bring_to(data: &mut DemoData, today: NaiveDate) {
    use chrono::Datelike;
    let year = today.year();
    let Some(year_end) = NaiveDate::from_ymd_opt(year, 12, 31) else {
        return;
    };
    let text = |row: &Row, field: &str| {
        row.cells
            .get(field)
            .and_then(|value| value.as_str())
            .map(str::to_owned)
    };
    let in_force = |row: &Row| {
        let from = text(row, "valid_from").and_then(|day| day.parse::<NaiveDate>().ok());
        let to = text(row, "valid_to").and_then(|day| day.parse::<NaiveDate>().ok());
        from.is_some_and(|from| from <= today) && to.is_none_or(|to| to > year_end)
    };
    // Enterprise → the positions of its partnerships in force on 31 December.
    let mut by_enterprise: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    let Some((_, partnerships)) = data
        .kinds
        .iter_mut()
        .find(|(kind, _)| *kind == ImportKind::Partnerships)
    else {
        return;
    };
    if partnerships
        .iter()
        .any(|row| text(row, "valid_from").is_some_and(|from| from.starts_with(&year.to_string())))
    {
        return;
    }
    for (position, row) in partnerships.iter().enumerate() {
        if in_force(row)
            && let Some(enterprise) = text(row, "enterprise")
        {
            by_enterprise.entry(enterprise).or_default().push(position);
        }
    }
    let days_left = (year_end - today).num_days();
    let months_before = today.month0();
    for (rank, positions) in by_enterprise.values().enumerate() {
        if rank % 3 == 0 && months_before > 0 {
            // Began this year, in a month before this one.
            let month = 1 + (rank as u32 / 3) % months_before;
            let day = 1 + (rank as u32 * 7) % 28;
            for &position in positions {
                partnerships[position]
                    .cells
                    .insert("valid_from".to_owned(), Value::from(date(year, month, day)));
            }
        } else if rank % 5 == 1 && positions.len() == 1 && days_left > 7 {
            // Ends before the year does: at risk, and a renewal for the matcher.
            let offset = 3 + (rank as i64 * 5) % (days_left - 4);
            let end = today + chrono::Duration::days(offset);
            partnerships[positions[0]].cells.insert(
                "valid_to".to_owned(),
                Value::from(end.format("%Y-%m-%d").to_string()),
            );
        }
    }
    // A few R&D institutions come up for review before the year ends.
    if days_left <= 7 {
        return;
    }
    let Some((_, enterprises)) = data
        .kinds
        .iter_mut()
        .find(|(kind, _)| *kind == ImportKind::Enterprises)
    else {
        return;
    };
    for (rank, row) in enterprises.iter_mut().enumerate() {
        if rank % 19 != 4 {
            continue;
        }
        let Some(Value::Array(institutions)) = row.cells.get_mut("rd_institutions") else {
            continue;
        };
        if let [Value::Object(institution)] = institutions.as_mut_slice()
            && institution
                .get("review_due")
                .and_then(Value::as_str)
                .and_then(|due| due.parse::<NaiveDate>().ok())
                .is_some_and(|due| due > year_end)
        {
            let offset = 2 + (rank as i64 * 3) % (days_left - 3);
            let due = today + chrono::Duration::days(offset);
            institution.insert(
                "review_due".to_owned(),
                Value::from(due.format("%Y-%m-%d").to_string()),
            );
        }
    }
}

/// Generates the demo county for a roster year.
pub fn generate(year: i32) -> DemoData {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let programs = program_values();

    // Labs: about 300, spread over topics by weight, each at a university strong in the topic.
    let mut labs = Vec::new();
    let mut lab_topics: Vec<&Topic> = Vec::new();
    let mut lab_names = HashSet::new();
    while labs.len() < 300 {
        let topic = weighted(&mut rng, TOPICS, |topic| topic.weight);
        let university = *topic.universities.choose(&mut rng).unwrap_or(&"山东大学");
        let (level, suffix, _) = *weighted(&mut rng, &LAB_LEVELS, |level| level.2);
        let name = format!("{}{}", topic.stem, suffix);
        if !lab_names.insert((university, name.clone())) {
            continue;
        }
        let index = labs.len() + 1;
        let description = format!(
            "{name}依托{university}建设，主要研究方向包括{}。实验室{}，{}。",
            topic.fields.join("、"),
            topic.achievements.choose(&mut rng).unwrap_or(&""),
            topic.industry_link
        );
        labs.push(json!({
            "id": format!("{ID_PREFIX}lab-{index:03}"),
            "name": name,
            "institution": university,
            "level": level,
            "fields": topic.fields,
            "description": description,
            "email": format!("lab{index:03}@labs.{DEMO_MAIL_DOMAIN}"),
            "capacity": if rng.random_bool(0.3) { Value::from(rng.random_range(2..=8)) } else { Value::Null },
        }));
        lab_topics.push(topic);
    }

    // Experts: ten per lab.
    let mut experts = Vec::new();
    let mut expert_topics: Vec<&Topic> = Vec::new();
    let institutions = Institutions::embedded();
    for (lab_index, (lab, topic)) in labs.iter().zip(&lab_topics).enumerate() {
        let university = lab["institution"].as_str().unwrap_or_default().to_owned();
        let in_shandong = institutions
            .university(&university)
            .and_then(|found| institutions.province_of(found))
            == Some("山东省");
        for member in 0..10 {
            let index = lab_index * 10 + member + 1;
            let lab_ref = (
                lab["id"].as_str().unwrap_or_default(),
                lab["name"].as_str().unwrap_or_default(),
            );
            let mut value = expert(&mut rng, topic, &university, in_shandong, Some(lab_ref));
            value["id"] = Value::from(format!("{ID_PREFIX}expert-{index:04}"));
            value["email"] = Value::from(format!("expert{index:04}@experts.{DEMO_MAIL_DOMAIN}"));
            experts.push(value);
            expert_topics.push(topic);
        }
    }

    let (enterprises, needs, partnerships) =
        enterprises(&mut rng, year, &labs, &lab_topics, &experts, &expert_topics);
    let offers = offer_values();
    DemoData {
        kinds: vec![
            (ImportKind::Programs, rows(programs)),
            (ImportKind::Labs, rows(labs)),
            (ImportKind::Experts, rows(experts)),
            (ImportKind::Offers, rows(offers)),
            (ImportKind::Enterprises, rows(enterprises)),
            (ImportKind::Needs, rows(needs)),
            (ImportKind::Partnerships, rows(partnerships)),
        ],
    }
}

/// What a technology market calls its listings, after the field they are in.
const OFFER_SUFFIXES: [&str; 4] = ["关键技术", "成套工艺", "新方法", "工艺与装备"];

/// Technology offers (科技成果): two per topic, as a technology market lists them — a holder,
/// a patent number and a price, and one in four without an institution. They come from their
/// own random stream, so the rest of the demo stays the same.
fn offer_values() -> Vec<Value> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 0x000F_FE25);
    let mut offers = Vec::new();
    for topic in TOPICS {
        for (number, achievement) in topic.achievements.iter().enumerate() {
            let index = offers.len() + 1;
            let field = topic.fields[number % topic.fields.len()];
            let suffix = OFFER_SUFFIXES[rng.random_range(0..OFFER_SUFFIXES.len())];
            let institution = if rng.random_bool(0.25) {
                Value::Null
            } else {
                Value::from(*topic.universities.choose(&mut rng).unwrap_or(&"山东大学"))
            };
            let holder = format!(
                "{}{}",
                pick_chars(&mut rng, SURNAMES, 1),
                pick_chars(&mut rng, GIVEN, 2)
            );
            let patent = format!(
                "ZL{}1{:07}.{}",
                rng.random_range(2019..=2025),
                rng.random_range(0..10_000_000),
                rng.random_range(0..10)
            );
            let price = if rng.random_bool(0.5) {
                "面议".to_owned()
            } else {
                format!("{}万元", rng.random_range(5..=80) * 5)
            };
            offers.push(json!({
                "id": format!("{ID_PREFIX}offer-{index:03}"),
                "name": format!("{}{}", field, suffix),
                "institution": institution,
                "holder": holder,
                "fields": topic.fields,
                "description": format!("{achievement}，成果可转让或许可。{}。", topic.industry_link),
                "patent": patent,
                "price": price,
            }));
        }
    }
    offers
}

/// Generates one expert of a topic at a university (id and e-mail are set by the caller).
fn expert(
    rng: &mut ChaCha8Rng,
    topic: &Topic,
    university: &str,
    in_shandong: bool,
    lab: Option<(&str, &str)>,
) -> Value {
    let given_length = if rng.random_bool(0.6) { 2 } else { 1 };
    let name = format!(
        "{}{}",
        pick_chars(rng, SURNAMES, 1),
        pick_chars(rng, GIVEN, given_length)
    );
    let title = weighted(rng, &TITLES, |title| title.1).0;
    let senior = matches!(title, "教授" | "研究员");
    let mut programs: Vec<&str> = Vec::new();
    let mut add =
        |rng: &mut ChaCha8Rng, eligible: bool, probability: f64, program: &'static str| {
            if eligible && rng.random_bool(probability) {
                programs.push(program);
            }
        };
    add(rng, senior, 0.03, "prog-academician");
    add(rng, senior, 0.08, "prog-changjiang");
    add(rng, senior, 0.08, "prog-jieqing");
    add(rng, true, 0.04, "prog-youqing");
    add(rng, senior, 0.04, "prog-wanren");
    add(rng, in_shandong && senior, 0.25, "prog-taishan-scholar");
    add(rng, in_shandong && !senior, 0.1, "prog-taishan-young");
    let open_to_post = rng.random_bool(0.2);
    add(
        rng,
        open_to_post && in_shandong,
        0.3,
        "prog-taishan-industry",
    );
    let mut fields: Vec<&str> = topic.fields.to_vec();
    fields.shuffle(rng);
    let keep = rng.random_range(2..=fields.len().max(2)).min(fields.len());
    fields.truncate(keep);
    let all_universities: Vec<&str> = TOPICS
        .iter()
        .flat_map(|other| other.universities.iter())
        .copied()
        .collect();
    let phd_university = all_universities.choose(rng).copied().unwrap_or("山东大学");
    let unit = lab.map_or_else(
        || format!("{}研究团队", topic.stem),
        |(_, lab_name)| lab_name.to_owned(),
    );
    let bio = format!(
        "{name}，{title}{}，{}年毕业于{phd_university}，获工学博士学位。现任职于{university}{unit}。主要从事{}等方向的研究，{}。主持国家自然科学基金项目{}项、省部级科研项目{}项，发表SCI/EI收录论文{}余篇，授权发明专利{}项。{}。",
        if senior { "，博士生导师" } else { "" },
        rng.random_range(1990..=2018),
        fields.join("、"),
        topic.achievements.choose(rng).unwrap_or(&""),
        rng.random_range(1..=6),
        rng.random_range(1..=10),
        rng.random_range(10..=120),
        rng.random_range(2..=40),
        topic.industry_link,
    );
    json!({
        "name": name,
        "institution": university,
        "title": title,
        "fields": fields,
        "bio": bio,
        "programs": programs,
        "lab": lab.map(|(id, _)| id),
        "capacity": if rng.random_bool(0.3) { Value::from(rng.random_range(1..=5)) } else { Value::Null },
        "open_to_post": open_to_post,
    })
}

/// Generates a standalone expert file of any size (no lab references; programmes by name, as
/// a bureau sheet would have them), for import tests and benchmarks. Bios run 150–400
/// characters. Requires the demo programmes to be imported first.
pub fn synthetic_experts(count: usize, seed: u64) -> Vec<Value> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let institutions = Institutions::embedded();
    let mut experts = Vec::with_capacity(count);
    for index in 1..=count {
        let topic = weighted(&mut rng, TOPICS, |topic| topic.weight);
        let university = topic
            .universities
            .choose(&mut rng)
            .copied()
            .unwrap_or("山东大学");
        let in_shandong = institutions
            .university(university)
            .and_then(|found| institutions.province_of(found))
            == Some("山东省");
        let mut value = expert(&mut rng, topic, university, in_shandong, None);
        let mut bio = value["bio"].as_str().unwrap_or_default().to_owned();
        // Grow the bio towards a target length of 150–400 characters, as real bios run.
        let target = rng.random_range(150..=400);
        for _ in 0..12 {
            let length = bio.chars().count();
            if length >= target {
                break;
            }
            let other = TOPICS.choose(&mut rng).unwrap_or(topic);
            let addition = format!(
                "近年来还关注{}，{}。",
                other.fields.join("、"),
                other.industry_link
            );
            if length + addition.chars().count() > 400 {
                break;
            }
            bio.push_str(&addition);
        }
        value["bio"] = Value::from(bio);
        let names: Vec<Value> = value["programs"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| {
                        PROGRAMS
                            .iter()
                            .find(|program| Some(program.0) == id.as_str())
                    })
                    .map(|program| Value::from(program.1))
                    .collect()
            })
            .unwrap_or_default();
        value["programs"] = Value::from(names);
        value["id"] = Value::from(format!("synthetic-expert-{index:06}"));
        value["email"] = Value::from(format!("x{index:06}@experts.{DEMO_MAIL_DOMAIN}"));
        experts.push(value);
    }
    experts
}

/// Returns the demo programmes as import rows.
pub fn program_rows() -> Vec<Row> {
    rows(program_values())
}

fn program_values() -> Vec<Value> {
    PROGRAMS
        .iter()
        .map(|(id, name, level, description)| json!({"id": id, "name": name, "level": level, "description": description}))
        .collect()
}

/// Coverage state of a demo enterprise, decided up front so the roster has exactly
/// [`COVERED`] fully covered enterprises.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Covered,
    CooperationOnly,
    InstitutionOnly,
    Neither,
}

#[allow(clippy::type_complexity)]
fn enterprises(
    rng: &mut ChaCha8Rng,
    year: i32,
    labs: &[Value],
    lab_topics: &[&Topic],
    experts: &[Value],
    expert_topics: &[&Topic],
) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let divisions = Divisions::embedded();
    let county = divisions.county(COUNTY_CODE).ok();
    let mut towns: Vec<(&str, f64)> = Vec::new();
    for (town, count, strength) in TOWN_ENTERPRISES {
        towns.extend(std::iter::repeat_n((town, strength), count));
    }
    towns.shuffle(rng);
    let mut chains: Vec<&Chain> = CHAINS
        .iter()
        .flat_map(|chain| std::iter::repeat_n(chain, chain.count))
        .collect();
    chains.shuffle(rng);

    // Strength decides who is covered: towns differ, as the speech complains.
    // Plackett–Luce: log strength plus Gumbel noise, so a strong town is likelier, not certain.
    let mut order: Vec<(usize, f64)> = (0..ENTERPRISES)
        .map(|index| {
            let uniform: f64 = rng.random_range(1e-9..1.0);
            (index, 1.5 * towns[index].1.ln() - (-uniform.ln()).ln())
        })
        .collect();
    order.sort_by(|left, right| right.1.total_cmp(&left.1).then(left.0.cmp(&right.0)));
    let mut states = vec![State::Neither; ENTERPRISES];
    for (rank, (index, _)) in order.iter().enumerate() {
        states[*index] = match rank {
            rank if rank < COVERED => State::Covered,
            rank if rank < COVERED + 38 => State::CooperationOnly,
            rank if rank < COVERED + 38 + 44 => State::InstitutionOnly,
            _ => State::Neither,
        };
    }

    let mut enterprises = Vec::new();
    let mut needs = Vec::new();
    let mut partnerships = Vec::new();
    let mut names = HashSet::new();
    let mut codes = HashSet::new();
    for index in 0..ENTERPRISES {
        let chain = chains[index];
        let (town, _) = towns[index];
        let state = states[index];
        let id = format!("{ID_PREFIX}ent-{:03}", index + 1);
        let name = loop {
            let prefix = ["山东", "潍坊", "临朐", "临朐县"]
                .choose(rng)
                .copied()
                .unwrap_or("临朐");
            let word = chain.words.choose(rng).copied().unwrap_or("科技");
            let form = if rng.random_bool(0.15) {
                "股份有限公司"
            } else {
                "有限公司"
            };
            let candidate = format!("{prefix}{}{word}{form}", pick_chars(rng, BRANDS, 2));
            if names.insert(candidate.clone()) {
                break candidate;
            }
        };
        let credit_code = loop {
            let alphabet = CreditCode::alphabet();
            let organisation: String = (0..9)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
                .collect();
            if let Some(code) = CreditCode::complete(&format!("91{COUNTY_CODE}{organisation}"))
                && codes.insert(code.as_str().to_owned())
            {
                break code;
            }
        };
        let mut products: Vec<&str> = chain.products.to_vec();
        products.shuffle(rng);
        products.truncate(rng.random_range(1..=3));

        let cooperation = matches!(state, State::Covered | State::CooperationOnly);
        let institution = matches!(state, State::Covered | State::InstitutionOnly);
        let mut rd_staff = if institution {
            rng.random_range(3..=80)
        } else {
            rng.random_range(0..=6)
        };
        let mut rd_institutions = Vec::new();
        if institution {
            rd_institutions.push(valid_institution(rng, year));
        } else {
            // Why B is missing: nothing, a lapsed recognition, or no R&D staff.
            match rng.random_range(0..10) {
                0..=4 => {}
                5..=7 => rd_institutions.push(lapsed_institution(rng, year)),
                _ => {
                    rd_institutions.push(valid_institution(rng, year));
                    rd_staff = 0;
                }
            }
        }
        let topic_names = chain.topics;
        if cooperation {
            for _ in 0..rng.random_range(1..=2) {
                partnerships.push(partnership(
                    rng,
                    &id,
                    partnerships.len() + 1,
                    year,
                    true,
                    topic_names,
                    labs,
                    lab_topics,
                    experts,
                    expert_topics,
                ));
            }
        } else if rng.random_bool(0.4) {
            partnerships.push(partnership(
                rng,
                &id,
                partnerships.len() + 1,
                year,
                false,
                topic_names,
                labs,
                lab_topics,
                experts,
                expert_topics,
            ));
        }

        let town_name = county
            .and_then(|county| divisions.town(county, town).ok())
            .map_or(town, |found| found.name.as_str());
        enterprises.push(json!({
            "id": id,
            "name": name,
            "credit_code": credit_code.as_str(),
            "county": COUNTY_CODE,
            "town": town_name,
            "industry": chain.label,
            "industry_code": chain.industry_codes[index % chain.industry_codes.len()],
            "above_scale": true,
            "roster_year": year,
            "products": products.join("；"),
            "rd_staff": rd_staff,
            "contact_email": format!("rd@ent{:03}.{DEMO_MAIL_DOMAIN}", index + 1),
            "owner": OWNERS.choose(rng).copied().unwrap_or("kjj-wang"),
            "rd_institutions": rd_institutions,
        }));

        // Needs: most enterprises with a gap state one or two; covered ones fewer.
        let need_count = match state {
            State::Covered => rng.random_range(0..=1),
            _ => rng.random_range(1..=3),
        };
        let mut templates: Vec<&NeedTemplate> = chain.needs.iter().collect();
        templates.shuffle(rng);
        for template in templates.into_iter().take(need_count) {
            needs.push(json!({
                "id": format!("{ID_PREFIX}need-{:04}", needs.len() + 1),
                "enterprise": id,
                "title": template.title,
                "description": template.description,
                "fields": template.fields,
                "kind": template.kind,
                "status": if rng.random_bool(0.8) { "待对接" } else { "对接中" },
                "confidential": rng.random_bool(0.1),
            }));
        }
    }
    (enterprises, needs, partnerships)
}

fn valid_institution(rng: &mut ChaCha8Rng, year: i32) -> Value {
    let recognized = year - rng.random_range(1..=6);
    let review_due = if rng.random_bool(0.2) {
        Value::Null
    } else {
        Value::from(date(year + rng.random_range(1..=3), 12, 31))
    };
    institution(rng, recognized, review_due)
}

fn lapsed_institution(rng: &mut ChaCha8Rng, year: i32) -> Value {
    let recognized = year - rng.random_range(4..=8);
    let review_due = Value::from(date(
        year - rng.random_range(1..=2),
        rng.random_range(1..=12),
        28,
    ));
    institution(rng, recognized, review_due)
}

fn institution(rng: &mut ChaCha8Rng, recognized: i32, review_due: Value) -> Value {
    let kind = *weighted(
        rng,
        &[
            ("企业技术中心", 45),
            ("工程技术研究中心", 25),
            ("研发中心", 20),
            ("工程实验室", 10),
        ],
        |kind| kind.1,
    );
    let level = *weighted(
        rng,
        &[("县级", 50), ("市级", 35), ("省级", 13), ("国家级", 2)],
        |level| level.1,
    );
    let issuer = match level.0 {
        "国家级" => "发改高技",
        "省级" => "鲁工信技",
        "市级" => "潍工信字",
        _ => "临科字",
    };
    json!({
        "kind": kind.0,
        "level": level.0,
        "number": format!("{issuer}〔{recognized}〕{}号", rng.random_range(3..=120)),
        "recognized_on": date(recognized, rng.random_range(1..=12), rng.random_range(1..=28)),
        "review_due": review_due,
    })
}

#[allow(clippy::too_many_arguments)]
fn partnership(
    rng: &mut ChaCha8Rng,
    enterprise: &str,
    number: usize,
    year: i32,
    valid: bool,
    topics: &[&str],
    labs: &[Value],
    lab_topics: &[&Topic],
    experts: &[Value],
    expert_topics: &[&Topic],
) -> Value {
    let wanted = topics.choose(rng).copied().unwrap_or_default();
    let (partner_kind, partner) = match rng.random_range(0..10) {
        0..=3 => {
            let matching: Vec<&Value> = labs
                .iter()
                .zip(lab_topics)
                .filter(|(_, topic)| topic.stem == wanted)
                .map(|(lab, _)| lab)
                .collect();
            (
                "lab",
                matching
                    .choose(rng)
                    .map(|lab| lab["id"].clone())
                    .unwrap_or(Value::Null),
            )
        }
        4..=7 => {
            let matching: Vec<&Value> = experts
                .iter()
                .zip(expert_topics)
                .filter(|(_, topic)| topic.stem == wanted)
                .map(|(expert, _)| expert)
                .collect();
            (
                "expert",
                matching
                    .choose(rng)
                    .map(|expert| expert["id"].clone())
                    .unwrap_or(Value::Null),
            )
        }
        _ => {
            let topic = TOPICS.iter().find(|topic| topic.stem == wanted);
            let university = topic
                .and_then(|topic| topic.universities.choose(rng).copied())
                .unwrap_or("山东大学");
            ("institution", Value::from(university))
        }
    };
    let kind = *weighted(
        rng,
        &[
            ("技术开发合同", 40),
            ("技术服务合同", 20),
            ("联合实验室", 10),
            ("科技特派员", 15),
            ("院士工作站", 5),
            ("技术转让合同", 5),
            ("技术咨询合同", 5),
        ],
        |kind| kind.1,
    );
    let start = year
        - if valid {
            rng.random_range(1..=3)
        } else {
            rng.random_range(3..=6)
        };
    let valid_from = date(start, rng.random_range(1..=12), rng.random_range(1..=28));
    let valid_to = if valid {
        if rng.random_bool(0.3) {
            Value::Null
        } else {
            Value::from(date(year + rng.random_range(1..=3), 12, 31))
        }
    } else {
        Value::from(date(year - rng.random_range(1..=2), 12, 31))
    };
    let evidence = if kind.0.ends_with("合同") {
        format!(
            "技术合同登记号 {start}{COUNTY_CODE}{:06}",
            rng.random_range(1..=999_999)
        )
    } else {
        format!("{}协议", kind.0)
    };
    json!({
        "id": format!("{ID_PREFIX}partnership-{number:04}"),
        "enterprise": enterprise,
        "partner_kind": partner_kind,
        "partner": partner,
        "kind": kind.0,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "evidence": evidence,
    })
}

impl App {
    /// Loads the demo county for a roster year into an empty registry.
    pub async fn load_demo(&self, year: i32, progress: Progress) -> Result<DemoSummary> {
        let counts = self.store.counts().await?;
        if counts.enterprises + counts.labs + counts.experts + counts.programs > 0 {
            return Err(Error::Conflict(
                "the registry is not empty; the demo county loads only into an empty registry (use a new --data-dir)".to_owned(),
            ));
        }
        let mut summary = DemoSummary::default();
        let mut data = generate(year);
        if year == chrono::Datelike::year(&crate::today()) {
            bring_to(&mut data, crate::today());
        }
        for (kind, rows) in data.kinds {
            let source_name = format!("demo:{kind}");
            summary.imports.push(
                self.import_rows(kind, &source_name, rows, Vec::new(), progress)
                    .await?,
            );
        }
        // The trend starts with the demo: each past month of the year, evaluated from the
        // demo's own dates.
        if year == chrono::Datelike::year(&crate::today()) {
            self.backfill_snapshots(crate::today()).await?;
        }
        // The demo's people, all with the published demo password: staff, an admin, an
        // auditor, and one user per enterprise whose login is the enterprise's id.
        let enterprises = self.store.enterprise_list().await?;
        let mut people: Vec<(String, String, crate::accounts::Role, Option<String>)> = vec![
            (
                DEMO_STAFF_LOGIN.to_owned(),
                "科技局演示账号".to_owned(),
                crate::accounts::Role::Staff,
                None,
            ),
            (
                DEMO_ADMIN_LOGIN.to_owned(),
                "系统管理员（演示）".to_owned(),
                crate::accounts::Role::Admin,
                None,
            ),
            (
                DEMO_AUDITOR_LOGIN.to_owned(),
                "审计员（演示）".to_owned(),
                crate::accounts::Role::Auditor,
                None,
            ),
        ];
        people.extend(enterprises.into_iter().map(|enterprise| {
            (
                enterprise.id.clone(),
                enterprise.name,
                crate::accounts::Role::Enterprise,
                Some(enterprise.id),
            )
        }));
        self.add_demo_accounts(&people, DEMO_STAFF_PASSWORD).await?;
        Ok(summary)
    }

    /// Returns whether the registry holds demo data.
    pub async fn has_demo_data(&self) -> Result<bool> {
        Ok(self
            .store
            .enterprise(&format!("{ID_PREFIX}ent-001"))
            .await?
            .is_some())
    }
}

/// Towns of the synthetic roster.
const SYNTHETIC_TOWNS: [&str; 10] = [
    "城关街道",
    "东城街道",
    "冶源街道",
    "辛寨街道",
    "五井镇",
    "寺头镇",
    "九山镇",
    "山旺镇",
    "柳山镇",
    "蒋峪镇",
];
/// Industry chains of the synthetic roster.
const SYNTHETIC_CHAINS: [&str; 5] = ["铝材深加工", "新材料", "机电装备", "汽车配件", "其他"];

/// A synthetic roster of `count` enterprises of `year` for benchmarks, as import records
/// (enterprises with their R&D institutions, and partnerships): about 45% with a cooperation in force, 50% with an R&D
/// institution, some expired or lapsed, some ending before the year does.
///
/// Enterprises are numbered from `first` (ids `bench-ent-NNNNNN`, credit codes to match), so
/// rosters of several calls do not overlap.
pub fn synthetic_roster(first: usize, count: usize, year: i32) -> (Vec<Value>, Vec<Value>) {
    let mut enterprises = Vec::with_capacity(count);
    let mut partnerships = Vec::new();
    for index in first..first + count {
        let code = CreditCode::complete(&format!("91370724MA{index:07}")).expect("code");
        let institution = match index % 4 {
            0 | 1 => {
                json!([{"kind": "企业技术中心", "level": "市级", "recognized_on": format!("{}-03-01", year - 2),
                "review_due": if index % 40 == 1 { format!("{year}-12-20") } else { format!("{}-12-31", year + 2) }}])
            }
            2 => {
                json!([{"kind": "研发中心", "recognized_on": format!("{}-03-01", year - 5), "review_due": format!("{}-06-30", year - 1)}])
            }
            _ => json!([]),
        };
        enterprises.push(json!({
                "id": format!("bench-ent-{index:06}"),
                "name": format!("临朐测试{index}铝业有限公司"),
                "credit_code": code.as_str(),
                "town": SYNTHETIC_TOWNS[index % SYNTHETIC_TOWNS.len()],
                "industry": SYNTHETIC_CHAINS[index % SYNTHETIC_CHAINS.len()],
                "above_scale": true,
                "roster_year": year,
                "rd_staff": (index % 7) as i64,
                "owner": format!("kjj-{}", index % 12),
                "rd_institutions": institution,
        }));
        if index % 9 < 4 {
            let valid_to = match index % 9 {
                0 => Value::Null,
                1 => Value::from(format!("{year}-12-{:02}", 10 + index % 18)),
                2 => Value::from(format!("{}-03-31", year)),
                _ => Value::from(format!("{}-12-31", year + 1)),
            };
            partnerships.push(json!({
                    "id": format!("bench-pship-{index:06}"),
                    "enterprise": format!("bench-ent-{index:06}"),
                    "partner_kind": "高校院所",
                    "partner": "山东大学",
                    "kind": "技术开发合同",
                    "valid_from": format!("{}-01-15", year - 1),
                    "valid_to": valid_to,
            }));
        }
    }
    (enterprises, partnerships)
}
