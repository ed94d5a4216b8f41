// Messages of one area of the catalog. Keys are "area.what"; {0}, {1}… are the arguments.
// swiftlint:disable line_length
extension Catalog {
    static let cliEntries: [String: (zh: String, en: String)] = [
        "h.id": ("编号", "id"),
        "h.name": ("名称", "name"),
        "h.total": ("总分", "total"),
        "h.leaves": ("末级指标", "leaves"),
        "h.provisional": ("含暂定值", "provisional"),
        "h.source": ("来源", "source"),
        "h.grades": ("等级", "grades"),
        "h.eligibility": ("基本条件", "eligibility"),
        "h.indicator": ("指标", "indicator"),
        "h.weight": ("分值", "points"),
        "h.input": ("输入", "input"),
        "h.rule": ("计分规则", "rule"),
        "h.provisional_notes": ("暂定值说明（* 标记）：", "Provisional numbers (marked *):"),
        "yes": ("是", "yes"),
        "no": ("否", "no"),
        "cap.tag": ("封顶", "capped"),
        "input.points": ("专家打分", "points"),
        "input.value": ("核定数据", "value"),
        "cli.bad_lang": ("不支持的语言“{0}”（可用：zh、en）", "unsupported language “{0}” (use zh or en)"),
        "cli.file_missing": ("找不到文件：{0}", "file not found: {0}"),
    ]
}
