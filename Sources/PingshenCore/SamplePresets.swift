import Foundation

// Sample data: name pools for generated panels and the three bundled sample panels (Samples/<rubric>/).
// Every organisation name is invented: a made-up two-character prefix (not a place name) with a field
// and a legal form. Reviewer names are common Chinese given names and surnames.

/// Name pools and the words generated panels are made of. This is sample data, not user-facing text.
public enum SampleNames {
    static let surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
                           "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
                           "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏",
                           "吕", "丁", "任", "沈", "姚"]
    static let givenNames = ["明远", "慧敏", "建国", "思远", "振华", "雅琴", "立新", "文博", "海燕", "国栋", "晓峰",
                             "静怡", "志强", "春梅", "国平", "雪梅", "建军", "晓东", "淑芬", "志刚", "宏亮", "永红",
                             "德胜", "玉兰", "伟民", "丽华", "家骏", "秀英", "光明", "卫东", "瑞芳", "学军", "敏",
                             "勇", "静", "磊", "俊杰", "亚平", "红梅", "树林", "长江", "晓云", "宝华", "凤英", "继伟",
                             "少华", "金生", "兰英", "培元", "启明"]
    /// Invented prefixes: none is a place name.
    static let prefixes = ["青岚", "澄湖", "岱川", "云岫", "泓屿", "鹤汀", "墨渚", "昭岭", "岚泽", "澜川", "昱衡",
                           "朴渊", "星垣", "霁川", "曜石", "澹宁", "汀澜", "砚岭", "溪峤", "珩川", "楠岫", "澈屿",
                           "璟川", "岑湾", "朔望", "翎川", "萱岭", "棠溪", "蔚川", "沁岚", "荻洲", "蘅皋", "琮岭",
                           "珂屿", "玥湖", "晗川", "煦洲", "骁岭", "筠川", "竺岭", "彬湾", "蕴川", "栎岭", "瀚屿",
                           "桐汀", "芷川", "岫湾", "屹川", "澍岭", "渟洲"]
    static let centerFields = ["增材制造", "智能传感器", "工业软件", "海洋工程装备", "精密仪器", "轻量化材料成形",
                               "氢能装备", "特种纤维材料", "先进轨道交通装备", "智能网联汽车", "高端医疗装备",
                               "集成电路装备", "机器人", "工业互联网", "新型显示", "稀土功能材料", "先进陶瓷",
                               "数字化设计与制造"]
    static let centerForms = ["创新中心有限公司", "创新中心股份有限公司", "协同创新中心有限公司"]
    static let companyFields = ["精密装备", "智能装备", "新材料科技", "智能电气", "数控机床", "汽车零部件",
                                "生物制药", "电子信息", "环保装备", "节能科技", "特种材料", "光电科技", "动力机械",
                                "精细化工", "轨道装备", "海洋装备", "仪器仪表", "医疗器械", "纺织科技", "工业自动化"]
    static let companyForms = ["股份有限公司", "有限公司", "集团股份有限公司"]
    static let industryFields: [String: [String]] = [
        "aviation": ["航空装备", "航空部件"], "electronics": ["电子科技", "微电子"], "light-1": ["家用电器", "智能家电"],
        "light-2": ["轻工科技", "日用制品"], "shipbuilding": ["船舶重工", "船舶装备"], "chemicals": ["化工", "精细化工"],
        "machinery": ["重型机械", "精密装备"], "pharmaceuticals": ["制药", "生物医药"], "metallurgy": ["特钢", "钢铁"],
        "textiles": ["纺织", "新纤维"], "building-materials": ["建材", "新型建材"], "non-ferrous": ["有色金属", "铝业"],
        "railways": ["轨道装备", "铁路器材"], "petrochemicals": ["石化", "石油化工"],
    ]
    /// Industries of the "other" row used for generated applicants, with their field words.
    static let otherIndustries: [(industry: String, field: String)] = [("通信", "通信技术"), ("电力", "电力装备")]
    public static let recusalReasons = ["近三年与该单位有合作研发项目", "曾在该单位任职，离职未满五年", "担任该单位技术顾问",
                                        "与该单位主要负责人有亲属关系", "所在单位与该单位存在股权关系",
                                        "曾指导该单位编写申报材料"]

    /// `count` distinct reviewer names.
    static func people(_ count: Int, _ r: inout Xoshiro256StarStar) -> [String] {
        var used = Set<String>()
        var out: [String] = []
        for i in 0..<count {
            var name = ""
            for _ in 0..<50 {
                name = surnames[r.int(below: surnames.count)] + givenNames[r.int(below: givenNames.count)]
                if !used.contains(name) { break }
            }
            if used.contains(name) { name += String(i + 1) }
            used.insert(name)
            out.append(name)
        }
        return out
    }

    /// `count` distinct invented organisation names fitting the rubric (innovation centers, enterprises,
    /// or enterprise technology centers with an industry from the rubric's table).
    static func organisations(_ count: Int, rubric: Rubric, _ r: inout Xoshiro256StarStar) -> [SamplePlan.Applicant] {
        var used = Set<String>()
        var out: [SamplePlan.Applicant] = []
        let rows = rubric.industries?.rows ?? []
        for i in 0..<count {
            var name = ""
            var industry: String?
            for _ in 0..<50 {
                let prefix = prefixes[r.int(below: prefixes.count)]
                switch rubric.id {
                case "manufacturing-innovation-center":
                    name = prefix + centerFields[r.int(below: centerFields.count)] + centerForms[r.int(below: centerForms.count)]
                default:
                    var field = companyFields[r.int(below: companyFields.count)]
                    if !rows.isEmpty {
                        let row = rows[r.int(below: rows.count)]
                        if let fields = industryFields[row.id] {
                            industry = row.name
                            field = fields[r.int(below: fields.count)]
                        } else {
                            let other = otherIndustries[r.int(below: otherIndustries.count)]
                            industry = rubric.industries?.industry(other.industry) != nil ? other.industry : row.name
                            field = other.field
                        }
                    }
                    name = prefix + field + companyForms[r.int(below: companyForms.count)]
                    if rubric.id == "tech-center-evaluation" { name += "技术中心" }
                }
                if !used.contains(name) { break }
            }
            if used.contains(name) { name += "·\(i + 1)" }
            used.insert(name)
            out.append(SamplePlan.Applicant(name: name, industry: industry))
        }
        return out
    }
}

/// A bundled sample panel: the options that regenerate `Samples/<rubric>/` byte for byte.
public struct SamplePreset: Sendable, Equatable {
    public var id: String
    public var rubric: String
    public var title: String
    public var round: String
    public var variant: String?
    public var seed: UInt64
    public var plan: SamplePlan

    public var options: SampleOptions {
        SampleOptions(panel: id, title: title, round: round, variant: variant, applicants: plan.applicants.count,
                      reviewers: plan.reviewerNames.count, seed: seed, plan: plan)
    }

    public static func named(_ id: String) -> SamplePreset? { all.first { $0.id == id } }

    public static let all: [SamplePreset] = [mic, demo, techCenter]

    /// 国家制造业创新中心考核评估, provincial centers applying for the national upgrade.
    static let mic = SamplePreset(
        id: "mic-2026", rubric: "manufacturing-innovation-center",
        title: "2026年度国家制造业创新中心考核评估（示例）", round: "初评", variant: "upgrade", seed: 20_260_301,
        plan: SamplePlan(
            reviewerNames: ["张明远", "李慧敏", "王建国", "陈思远", "刘振华", "赵雅琴", "孙立新"],
            applicants: [
                .init(name: "青岚增材制造创新中心有限公司"),
                .init(name: "澄湖特种纤维材料创新中心有限公司"),
                .init(name: "岱川智能传感器创新中心有限公司"),
                .init(name: "云岫工业软件创新中心有限公司"),
                .init(name: "泓屿海洋工程装备创新中心有限公司"),
                .init(name: "鹤汀精密仪器创新中心有限公司"),
                .init(name: "墨渚轻量化材料成形创新中心有限公司"),
                .init(name: "昭岭氢能装备创新中心有限公司"),
            ],
            biases: [.init(reviewer: "r5", shift: -10)],
            wild: [.init(reviewer: "r2", applicant: "a4", leaf: "goals")],
            ineligible: [.init(applicant: "a7", gate: "rd-spending-gate")],
            recusals: [Recusal(reviewer: "r3", applicant: "a2", reason: "曾任该单位技术委员会委员，离任未满三年")]))

    /// 技术创新示范企业 recognition (application conditions of articles 6 and 7).
    static let demo = SamplePreset(
        id: "demo-2026", rubric: "tech-innovation-demo-enterprise",
        title: "2026年度技术创新示范企业认定评价（示例）", round: "初评", variant: "default", seed: 20_260_302,
        plan: SamplePlan(
            reviewerNames: ["周文博", "吴海燕", "郑国栋", "黄晓峰", "徐静怡", "马志强", "胡春梅"],
            applicants: [
                .init(name: "岚泽精密装备股份有限公司"),
                .init(name: "澜川新材料科技股份有限公司"),
                .init(name: "昱衡智能电气股份有限公司"),
                .init(name: "朴渊生物制药股份有限公司"),
                .init(name: "星垣汽车零部件股份有限公司"),
                .init(name: "霁川纺织科技股份有限公司"),
                .init(name: "曜石电子信息股份有限公司"),
                .init(name: "澹宁环保装备股份有限公司"),
            ],
            biases: [.init(reviewer: "r2", shift: -10)],
            wild: [.init(reviewer: "r7", applicant: "a3", leaf: nil)],
            ineligible: [.init(applicant: "a6", gate: "rd-intensity-gate")],
            recusals: [Recusal(reviewer: "r6", applicant: "a5", reason: "近三年与该企业有合作研发项目")]))

    /// 企业技术中心运行评价 of national centers. Every leaf is a value leaf: the sheets hold no points, so no
    /// harsh reviewer or wild score can be planted.
    static let techCenter = SamplePreset(
        id: "tc-2026", rubric: "tech-center-evaluation",
        title: "2026年度国家企业技术中心评价（示例）", round: "初评", variant: "national", seed: 20_260_303,
        plan: SamplePlan(
            reviewerNames: ["林国平", "何雪梅", "高建军", "罗晓东", "梁淑芬", "宋志刚", "谢宏亮"],
            applicants: [
                .init(name: "砚岭重型机械股份有限公司技术中心", industry: "机械"),
                .init(name: "汀澜化工集团股份有限公司技术中心", industry: "化工"),
                .init(name: "溪峤电子科技股份有限公司技术中心", industry: "电子"),
                .init(name: "珩川特钢集团有限公司技术中心", industry: "冶金"),
                .init(name: "楠岫纺织股份有限公司技术中心", industry: "纺织"),
                .init(name: "璟川制药股份有限公司技术中心", industry: "医药"),
                .init(name: "澈屿船舶重工股份有限公司技术中心", industry: "船舶"),
                .init(name: "岑湾新型建材股份有限公司技术中心", industry: "建材"),
                .init(name: "朔望通信技术股份有限公司技术中心", industry: "通信"),
            ],
            ineligible: [.init(applicant: "a5", gate: "rd-spending")],
            recusals: [Recusal(reviewer: "r4", applicant: "a7", reason: "在该企业担任技术顾问")]))
}
