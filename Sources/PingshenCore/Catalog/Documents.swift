// Messages of one area of the catalog. Keys are "area.what"; {0}, {1}… are the arguments.
// Area: the printable documents a secretariat files (expert sheets, score matrix, opinions, blank sheets,
// declarations), opinions and reservations, the archive (issue 13).
// swiftlint:disable line_length
extension Catalog {
    static let documentEntries: [String: (zh: String, en: String)] = [
        // Errors
        "doc.bad_document": ("未知的文档“{0}”（可用：{1}）", "unknown document “{0}” (known: {1})"),
        "doc.html_only": ("文档 {0} 只能导出为 html（--format html）", "the document {0} is exported as html only (--format html)"),
        "doc.unknown_reviewer": ("评审组“{1}”没有专家“{0}”（已有：{2}）", "panel “{1}” has no reviewer “{0}” (known: {2})"),

        // Shared
        "doc.panel": ("评审组", "Panel"),
        "doc.round": ("评审轮次", "Round"),
        "doc.rubric": ("评分表", "Rubric"),
        "doc.date": ("日期", "Date"),
        "doc.applicant": ("申报单位", "Applicant"),
        "doc.reviewer": ("评审专家", "Reviewer"),
        "doc.sealed": ("封存时间：{0}（{1}）", "Sealed: {0} ({1})"),
        "doc.page_note": ("第 {0} 份，共 {1} 份", "sheet {0} of {1}"),
        "doc.expert_sign": ("专家签字：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿＿＿＿＿", "Reviewer's signature: ________________    Date: ________________"),
        "doc.chair_sign": ("评审组长（组长）签字：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿＿＿＿＿", "Chair (组长): ________________    Date: ________________"),
        "doc.sign_line": ("＿＿＿＿＿＿＿＿", "________________"),
        "doc.none": ("无", "none"),

        // Expert sheets (专家个人评分表)
        "doc.sheets.title": ("专家个人评分表", "Reviewer's score sheet"),
        "doc.sheets.empty": ("本轮没有可打印的评分表。", "No score sheets to print in this round."),
        "doc.sheets.no": ("序号", "No."),
        "doc.sheets.indicator": ("评价指标", "Indicator"),
        "doc.sheets.weight": ("分值", "Max"),
        "doc.sheets.value": ("核定数据（按数据计分）", "Verified value (scored from it)"),
        "doc.sheets.points": ("得分", "Points"),
        "doc.sheets.note": ("备注", "Note"),
        "doc.sheets.subtotal": ("小计", "subtotal"),
        "doc.sheets.total": ("合计", "Total"),
        "doc.sheets.from_data": ("按核定数据计分", "scored from verified data"),
        "doc.sheets.missing_data": ("缺核定数据", "verified value missing"),
        "doc.sheets.submitted": ("已提交", "submitted"),
        "doc.sheets.draft": ("未提交（草稿）", "not submitted (draft)"),
        "doc.sheets.status": ("状态", "Status"),

        // Blank sheets
        "doc.blank.title": ("专家评分表（纸质评分用）", "Score sheet (for scoring on paper)"),
        "doc.blank.hint": ("请在“得分”栏填写分数（不超过分值）；按核定数据计分的指标已预先填写。评审结束后由秘书处录入系统。", "Write the points in the Points column (at most the maximum); indicators scored from verified data are filled in. The secretariat types the sheet into the system afterwards."),
        "doc.blank.guidance": ("评分要点", "Guidance"),

        // Score matrix (专家打分汇总表)
        "doc.matrix.title": ("专家打分汇总表", "Score matrix"),
        "doc.matrix.no": ("序号", "No."),
        "doc.matrix.id": ("编号", "Id"),
        "doc.matrix.total": ("综合得分", "Score"),
        "doc.matrix.grade": ("等级", "Grade"),
        "doc.matrix.rank": ("排名", "Rank"),
        "doc.matrix.recused": ("回避", "recused"),
        "doc.matrix.unsubmitted": ("未提交", "not submitted"),
        "doc.matrix.expert_n": ("专家{0}", "Reviewer {0}"),
        "doc.matrix.legend_trim": ("注：带删除线的分数为去掉的最高分和最低分（不计入综合得分）；“回避”为该专家回避该单位；综合得分保留 {0} 位小数（四舍五入）。", "Note: struck-through marks are the highest and lowest dropped by the trimmed mean (not counted); “recused” marks a reviewer who stood aside; scores have {0} decimals (rounded half up)."),
        "doc.matrix.legend_plain": ("注：“回避”为该专家回避该单位；综合得分保留 {0} 位小数（四舍五入）；汇总方法：{1}。", "Note: “recused” marks a reviewer who stood aside; scores have {0} decimals (rounded half up); method: {1}."),
        "doc.matrix.signatures": ("评审专家签字", "Reviewers' signatures"),

        // Opinions (评审意见)
        "doc.opinions.title": ("评审意见", "Panel opinions"),
        "doc.opinions.panel": ("评审组意见", "The panel's opinion"),
        "doc.opinions.reservations": ("保留意见", "Reservations"),
        "doc.opinions.none_recorded": ("（尚未录入评审组意见）", "(no opinion recorded yet)"),
        "doc.opinions.no_reservation": ("无保留意见。", "No reservations."),
        "doc.opinions.recorded": ("{0} 录入于 {1}", "recorded by {0} at {1}"),
        "doc.opinions.result": ("综合得分 {0}　等级 {1}　排名 {2}", "Score {0}    Grade {1}    Rank {2}"),

        // Declarations (承诺书 / 回避声明 / 签到表)
        "doc.decl.title": ("评审专家承诺书及回避声明", "Reviewer's commitment and declaration of no conflict"),
        "doc.decl.commitment": ("本人受邀担任“{0}”评审专家，郑重承诺：遵守评审纪律，独立、客观、公正地进行评审；对评审材料、评审过程和评审结果严格保密，不泄露、不复制、不擅自使用；不接受申报单位及相关人员的宴请、礼品或其他利益；不打探、不传播评审信息。如有违反，愿承担相应责任。", "I have been invited to review for “{0}” and undertake to follow the review rules and to judge independently, objectively and fairly; to keep the materials, the deliberations and the results confidential, neither disclosing, copying nor using them; to accept no hospitality, gift or other benefit from any applicant or person connected with one; and neither to seek nor to spread information about the review. I accept responsibility for any breach."),
        "doc.decl.conflict": ("本人声明：与下列申报单位不存在任职、兼职、顾问、投资、近亲属关系或其他可能影响公正评审的利害关系；如存在，已在右栏注明并申请回避。", "I declare that I have no employment, consultancy, investment, close family or other tie that could affect a fair review with the applicants below; where I have one, it is noted in the right-hand column and I stand aside."),
        "doc.decl.relation": ("利害关系 / 回避", "Tie / recusal"),
        "doc.decl.recused": ("已回避：{0}", "recused: {0}"),
        "doc.decl.signin": ("评审专家签到表", "Reviewers' sign-in sheet"),
        "doc.decl.name": ("姓名", "Name"),
        "doc.decl.org": ("工作单位", "Organization"),
        "doc.decl.title_col": ("职称/职务", "Title"),
        "doc.decl.signature": ("签字", "Signature"),
        "doc.decl.time": ("签到时间", "Time"),
        "doc.decl.role": ("身份", "Role"),
        "doc.decl.expert": ("评审专家", "Reviewer"),

        // XLSX
        "doc.xlsx.matrix": ("打分汇总", "Score matrix"),

        // Opinions: the command
        "opinion.recorded": ("已录入 {1} 的评审组意见（评审组 {0}）", "Recorded the panel's opinion on {1} (panel {0})"),
        "opinion.reservation_recorded": ("已录入专家 {2} 对 {1} 的保留意见（评审组 {0}）", "Recorded reviewer {2}'s reservation on {1} (panel {0})"),
        "opinion.empty": ("意见内容为空：用 --text、--reservation 或 --file 给出意见", "the opinion is empty: give it with --text, --reservation or --file"),
        "opinion.both": ("--text 是评审组意见，--reservation 是专家的保留意见（需 --reviewer），二者只能给一个", "--text is the panel's opinion, --reservation an expert's reservation (with --reviewer): give one of them"),
        "opinion.reservation_needs_reviewer": ("保留意见需要用 --reviewer 指明专家", "a reservation needs --reviewer to name the expert"),
        "opinion.too_long": ("意见过长（{0} 字，最多 {1} 字）", "the opinion is too long ({0} characters, at most {1})"),
        "opinion.unknown_applicant": ("评审组“{1}”没有申报单位“{0}”", "panel “{1}” has no applicant “{0}”"),
        "opinion.list_empty": ("评审组 {0} 还没有评审意见", "panel {0} has no opinions yet"),
    ]
}

extension Catalog {
    static let archiveEntries: [String: (zh: String, en: String)] = [
        "archive.zip_failed": ("无法生成归档文件：{0}", "cannot write the archive: {0}"),
        "archive.not_zip": ("{0} 不是可读的归档文件（zip）", "{0} is not a readable archive (zip)"),
        "archive.not_sealed": ("评审组 {0} 尚未封存：先用 pingshen finalize 封存，再归档", "panel {0} is not sealed: seal it with pingshen finalize, then archive it"),
        "archive.written": ("已归档评审组 {0}（{1} 个文件，封存于 {2}）：{3}", "Archived panel {0} ({1} files, sealed {2}): {3}"),
        "archive.missing": ("归档中缺少文件 {0}", "the archive lacks {0}"),
        "archive.file_changed": ("归档中的文件 {0} 被改动过（应为 {1}，实为 {2}）", "the archive's file {0} was changed (expected {1}, found {2})"),
        "archive.extra": ("归档中有清单未列出的文件 {0}", "the archive holds {0}, which its manifest does not list"),
        "archive.results_changed": ("归档中的结果与封存摘要不符（封存 {0}，归档 {1}）", "the archive's results do not match the seal (sealed {0}, archive {1})"),
        "archive.audit_broken": ("归档中的审计日志哈希链在第 {0} 条断开", "the archive's audit chain breaks at row {0}"),
        "archive.audit_head": ("归档中的审计日志不含封存时的链头 {0}", "the archive's audit log does not contain the head recorded at sealing {0}"),
        "archive.verified": ("归档核验通过：评审组 {0}，{1} 个文件完好，审计日志 {2} 条哈希链完整，结果与封存摘要一致（封存于 {3}，封存人 {4}）", "Archive verified: panel {0}, {1} files intact, audit chain of {2} rows intact, results match the seal (sealed {3} by {4})"),
    ]
}
