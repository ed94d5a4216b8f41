// Messages of one area of the catalog. Keys are "area.what"; {0}, {1}… are the arguments.
// Area: reviewer calibration (pingshen calibrate), agreement gaps and caveats, design notices (issue 12).
// swiftlint:disable line_length
extension Catalog {
    static let calibrationEntries: [String: (zh: String, en: String)] = [
        // Agreement: why a figure is missing, intervals, caveats
        "report.agreement.gap.no_points": ("本评分表的指标全部由核定数据计分，专家不打分：各专家总分必然相同，不计算专家组一致性（ICC、W）", "every indicator of this rubric is scored from verified data and reviewers enter no points: their totals agree by construction, so no panel agreement (ICC, W) is computed"),
        "report.agreement.gap.few_reviewers": ("本轮打分的专家少于 2 位，无法计算专家组一致性", "fewer than 2 reviewers scored this round: panel agreement cannot be computed"),
        "report.agreement.gap.few_complete": ("全部 {1} 位专家都评了的申报单位只有 {0} 个（至少需要 {2} 个），不计算完整设计的 ICC 和 W；各单位评审专家不同时，请看 pingshen calibrate 的方差分量信度", "only {0} applicant(s) were scored by all {1} reviewers (at least {2} needed): the complete-design ICC and W are not computed; when applicants have different reviewers, pingshen calibrate gives the variance-component reliability"),
        "report.agreement.gap.identical": ("所有专家给所有申报单位的总分完全相同，没有任何差异可供比较，一致性系数无定义", "every reviewer gave every applicant the same total: nothing varies, so the agreement coefficients are undefined"),
        "report.agreement.gap.no_order": ("每位专家给各申报单位的总分都相同，没有排序可比，肯德尔 W 无定义", "each reviewer gave all the applicants the same total: there is no order to compare, so Kendall's W is undefined"),
        "report.agreement.interval": ("95% 区间 {0}–{1}", "95 % interval {0}–{1}"),
        "report.agreement.caveat": ("注意：只有 {0} 个申报单位参与计算（建议至少 {1} 个），上述系数仅供粗略参考，区间较宽。", "Caveat: only {0} applicants enter these figures (at least {1} are advised): read them as rough; the intervals are wide."),
        "report.agreement.w_missing": ("肯德尔 W：{0}", "Kendall's W: {0}"),

        // Design: who scored whom
        "report.design.differ": ("各申报单位的评审专家不完全相同（{0} 种专家组合）。专家宽严不一时，原始得分在单位之间不完全可比：运行 pingshen calibrate {1} 可查看扣除专家宽严后的校准得分、等级变化与等级稳定性。", "Applicants were scored by different sets of reviewers ({0} different sets). When reviewers differ in severity, raw scores are not fully comparable between applicants: pingshen calibrate {1} shows the scores with each reviewer's severity removed, the grades that would change, and how stable each grade is."),
        "report.design.components": ("专家与申报单位分成 {0} 个互不相连的小组（没有共同评过的单位把它们联系起来）：不同小组之间的专家宽严无法比较。", "Reviewers and applicants fall into {0} groups with no applicant in common: the severities of reviewers in different groups cannot be compared."),

        "report.design.would_change": ("按扣除专家宽严后的校准得分，{0} 个单位的等级会不同：{1}（正式方法不变，详见 pingshen calibrate）", "With each reviewer's severity removed, {0} grade(s) would differ: {1} (the official method is unchanged; see pingshen calibrate)"),

        // Why no flag could be raised
        "chair.no_flags_limits": ("无异常标记，但部分检查无法进行：{0}", "No flags, but some checks could not run: {0}"),
        "chair.limit.single": ("单个分数离群检查需要同一单位至少 4 位专家（本轮最多 {0} 位）", "the single-score check needs at least 4 reviewers on an applicant (this round has at most {0})"),
        "chair.limit.reviewer": ("专家偏严/偏宽与排序一致性检查需要同一单位至少 3 位专家（本轮最多 {0} 位）", "the severe/lenient and consistency checks need at least 3 reviewers on an applicant (this round has at most {0})"),
        "chair.limit.disagreement": ("专家分歧检查需要同一单位至少 2 位专家（本轮最多 {0} 位）", "the disagreement check needs at least 2 reviewers on an applicant (this round has at most {0})"),
        "chair.limit.no_points": ("本评分表的专家不打分，没有可检查的专家分数", "reviewers enter no points in this rubric: there are no reviewer scores to check"),

        // The calibrated method
        "report.h.total_adjusted": ("校准后综合得分", "Adjusted total"),
        "report.h.totals_view_raw": ("原始得分（未校准，总分视角）", "Raw score (not calibrated, totals view)"),
        "report.method.calibrated": ("校准得分（扣除各专家宽严后的单位水平，交叉模型 REML 估计）", "calibrated (each applicant's level with its reviewers' severities removed; crossed model, REML)"),
        "report.method_short.calibrated": ("校准", "calibrated"),
        "report.calibrated_notice": ("综合得分采用校准得分（扣除各专家宽严）；一级/二级指标分项得分和两种视角得分为未校准的原始平均分，分项之和不等于综合得分。", "The official scores are calibrated (each reviewer's severity removed); the 一级/二级 breakdown and both views are raw (uncalibrated) means, so the breakdown does not add up to the official score."),

        // pingshen calibrate
        "cal.no_points": ("评审组 {0} 的评分表由核定数据计分，专家不打分：没有专家宽严可以校准", "the rubric of panel {0} is scored from verified data and reviewers enter no points: there is no reviewer severity to calibrate"),
        "cal.no_sheets": ("评审组 {0} 在轮次“{1}”中没有已提交的评分表", "panel {0} has no submitted sheets in round “{1}”"),
        "cal.title": ("专家校准：评审组 {0}，轮次 {1}；{2} 份评分表，{3} 位专家，{4} 个申报单位", "Reviewer calibration: panel {0}, round {1}; {2} sheets, {3} reviewers, {4} applicants"),
        "cal.model": ("模型：总分 = 单位水平 + 专家宽严 + 随机误差；专家宽严方差由限制性极大似然（REML）估计。校准得分 = 扣除评过该单位的专家宽严后的单位水平。", "Model: total = applicant's level + reviewer's severity + error; the variance of the severities is estimated by restricted maximum likelihood (REML). Adjusted score = the applicant's level with the severities of its reviewers removed."),
        "cal.variance": ("专家宽严标准差 {0} 分，随机误差标准差 {1} 分，单位水平标准差 {2} 分。", "Reviewer severities vary with a standard deviation of {0} points, the error {1} points, the applicants' levels {2} points."),
        "cal.variance_none": ("无法估计方差分量：{0}", "the variance components cannot be estimated: {0}"),
        "cal.components_one": ("设计连通：所有专家都通过共同评过的单位联系在一起，宽严可以互相比较。", "The design is connected: every reviewer is linked to every other through shared applicants, so all severities are comparable."),
        "cal.components": ("设计分成 {0} 个互不相连的小组；宽严只在小组内比较（每个小组内宽严平均为 0），不同小组的校准得分之间不完全可比：", "The design falls into {0} unconnected groups; severities are compared only within a group (they average 0 in each), and adjusted scores of different groups are not fully comparable:"),
        "cal.component": ("  小组 {0}：专家 {1}；申报单位 {2} 个", "  group {0}: reviewers {1}; {2} applicant(s)"),
        "cal.reliability": ("信度（适用于任何设计，95% 区间来自参数自助法 {0} 次）：", "Reliability (valid on any design; 95 % intervals from {0} parametric-bootstrap replicates):"),
        "cal.rel.single": ("  单个专家：{0}（{1}）——一位专家的总分反映单位真实水平的程度", "  one reviewer: {0} ({1}) — how well one reviewer's total reflects the applicant's level"),
        "cal.rel.k": ("  {2} 位专家平均：{0}（{1}）——原始得分的信度", "  mean of {2} reviewers: {0} ({1}) — reliability of the raw scores"),
        "cal.rel.adjusted": ("  校准得分：{0}（{1}）", "  adjusted scores: {0} ({1})"),
        "cal.rel.none": ("  无法计算", "  not computable"),
        "cal.note.no_replication": ("没有任何单位被两位以上专家评过，无法区分专家宽严与单位水平", "no applicant was scored by two reviewers: reviewer severity cannot be told apart from the applicants' levels"),
        "cal.note.identical": ("每个单位的各专家总分完全相同，没有宽严差异可估计", "every applicant got the same total from all its reviewers: there is no severity to estimate"),
        "cal.note.few_applicants": ("参与计算的申报单位少于 {0} 个，信度仅供粗略参考", "fewer than {0} applicants: read the reliability as rough"),
        "cal.note.few_reviewers": ("专家少于 {0} 位，宽严方差的估计很不稳定", "fewer than {0} reviewers: the variance of the severities is poorly estimated"),
        "cal.note.no_applicant_variance": ("单位之间的差异没有超出测量误差，信度为 0", "the applicants do not differ beyond their measurement error: reliability 0"),
        "cal.changes": ("校准后等级改变的单位 {0} 个，名次改变的单位 {1} 个。", "{0} grade(s) and {1} rank(s) change when adjusted."),
        "cal.unstable": ("等级不稳定（换一批同类专家时等级改变的可能性超过 {0}）：{1}", "Unstable grades (chance of a different grade with another draw of reviewers above {0}): {1}"),
        "cal.stability_explain": ("“等级改变可能”两栏为换一批同类专家重评时，该等级改变的可能性（参数自助法：按估计的宽严方差和误差方差随机抽取新专家，重新拟合）；超过 {0} 标 !。", "The “change” columns give the chance that the grade would differ with another draw of reviewers of the same kind (parametric bootstrap: new severities and errors drawn from the fitted variances, refitted each time); above {0} marked !."),
        "cal.h.severity": ("宽严（分）", "severity"),
        "cal.h.se": ("标准误", "SE"),
        "cal.h.sheets": ("评分表", "sheets"),
        "cal.h.fit": ("拟合", "fit"),
        "cal.h.reading": ("解读", "reading"),
        "cal.h.group": ("小组", "group"),
        "cal.h.raw": ("原始得分", "raw"),
        "cal.h.grade_raw": ("原始等级", "raw grade"),
        "cal.h.adjusted": ("校准得分", "adjusted"),
        "cal.h.grade_adjusted": ("校准等级", "adjusted grade"),
        "cal.h.change_raw": ("原始等级改变可能", "raw grade change"),
        "cal.h.change_adjusted": ("校准等级改变可能", "adjusted grade change"),
        "cal.read.severe": ("偏严", "severe"),
        "cal.read.lenient": ("偏宽", "lenient"),
        "cal.read.erratic": ("评分随意", "erratic"),
        "cal.read.predictable": ("过于一致", "too predictable"),
        "cal.fit_explain": ("宽严为正表示比同组专家平均偏宽（给分高），为负表示偏严；|宽严| 超过 2 倍标准误才标注。拟合为扣除宽严后残差的均方（约 1 为正常；> 1.5 评分随意，< 0.5 过于一致，参照 FACETS 的 infit/outfit 读法）。", "A positive severity means more lenient than the average reviewer of the group (higher totals), negative more severe; it is marked only beyond 2 standard errors. Fit is the mean square of the residuals after the severity is removed (about 1 is normal; above 1.5 erratic, below 0.5 too predictable, read as FACETS' infit/outfit)."),
    ]
}
