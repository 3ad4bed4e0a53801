#!/usr/bin/env python3
"""Fills translations/moa_studio_zh_CN.ts from the table below after lupdate.

Run `ninja moa-studio_lupdate` first (it adds new source texts as unfinished), then this
script; it fails listing any source text that has no translation here, so the catalogue
stays complete.
"""
import sys
import xml.etree.ElementTree as ET

ZH = {
    "Far influence (share outside N/8)": "远程影响（N/8 窗口外占比）",
    "Total influence": "总影响",
    "Plan span (tokens)": "方案跨度（token）",
    "Plan density": "方案密度",
    "Predicted loss": "预测损失",
    "Compare plans": "比较方案",
    "Compare profiles": "比较剖析",
    "Open plan B…": "打开方案 B…",
    "Open profile B…": "打开剖析 B…",
    "N = %1": "N = %1",
    "current plan": "当前方案",
    "plan B": "方案 B",
    "plan B (none: open one)": "方案 B（无：请打开一个）",
    "current profile": "当前剖析",
    "profile B (none: open one)": "剖析 B（无：请打开一个）",
    "A: %1": "A：%1",
    "B: %1": "B：%1",
    "A − B": "A − B",
    "%1 of %2 heads differ; mean |A − B| = %3": "%2 个头中有 %1 个不同；平均 |A − B| = %3",
    "Open both sides to see the difference.": "打开两侧后即可查看差异。",
    "A and B have different shapes: no difference map.": "A 与 B 形状不同：无法生成差异图。",
    "difference": "差值",
    "Reset zoom": "重置缩放",
    "key block (64 tokens)": "键块（64 个 token）",
    "query block": "查询块",
    "pooled influence |E|": "池化影响 |E|",
    "No influence for layer %1 head %2 at this length": "第 %1 层第 %2 头在此长度下没有影响数据",
    "Click a head in the grid to see its influence map": "在网格中点击一个头以查看其影响图",
    "Layer %1, head %2 at %3 tokens (%4 x %4 blocks)": "第 %1 层，第 %2 头，长度 %3 token（%4 × %4 块）",
    "rule %1: sink + band of %2 blocks, density %3": "规则 %1：汇聚块 + %2 块带宽，密度 %3",
    "Show": "显示",
    "at length": "长度",
    "head": "头",
    "layer": "层",
    "layer %1, head %2": "第 %1 层，第 %2 头",
    " (KV head %1)": "（KV 头 %1）",
    "rule %1": "规则 %1",
    "Solve failed": "求解失败",
    "About MoA Studio": "关于 MoA Studio",
    "MoA Studio %1\nMixture of Sparse Attention: inspect attention heads, edit and solve compression plans.":
        "MoA Studio %1\n混合稀疏注意力：查看注意力头，编辑并求解压缩方案。",
    "&File": "文件(&F)",
    "Open &Recent": "最近打开(&R)",
    "&Export": "导出(&E)",
    "&Edit": "编辑(&E)",
    "&Run": "运行(&R)",
    "&Language": "语言(&L)",
    "&Help": "帮助(&H)",
    "Open &Model…": "打开模型(&M)…",
    "Open &Demo Model": "打开演示模型(&D)",
    "Open &Profile…": "打开剖析(&P)…",
    "Open P&lan…": "打开方案(&L)…",
    "&Save Plan": "保存方案(&S)",
    "Save Plan &As…": "方案另存为(&A)…",
    "Plan in MoA Reference Format (JSON/CSV)…": "MoA 参考格式方案（JSON/CSV）…",
    "Current Figure (PNG/PDF)…": "当前图表（PNG/PDF）…",
    "Head Grid Values (CSV)…": "头网格数值（CSV）…",
    "Plan Table (CSV)…": "方案表（CSV）…",
    "Profile (HDF5)…": "剖析（HDF5）…",
    "Open Session…": "打开会话…",
    "Save Session…": "保存会话…",
    "&Quit": "退出(&Q)",
    "&Undo": "撤销(&U)",
    "&Redo": "重做(&R)",
    "Lock Selected Heads": "锁定所选头",
    "Unlock Selected Heads": "解锁所选头",
    "&Profile Model…": "剖析模型(&P)…",
    "Profiling needs the core profiler, which this build does not include yet; open a *.moaprof.h5 written by 'moa profile'.":
        "剖析需要核心剖析器，本构建尚未包含；请打开由 'moa profile' 生成的 *.moaprof.h5 文件。",
    "&Solve Plan": "求解方案(&S)",
    "S&top Job": "停止任务(&T)",
    "&About MoA Studio": "关于 MoA Studio(&A)",
    "Stop": "停止",
    "Head detail": "头详情",
    "Rule plot": "规则曲线",
    "Compare": "比较",
    "%1: stopped": "%1：已停止",
    "%1: failed: %2": "%1：失败：%2",
    "%1: done": "%1：完成",
    "<b>Model</b> %1: %2 layers, %3 heads (%4 KV), head dim %5, %6 M parameters":
        "<b>模型</b> %1：%2 层，%3 个头（%4 个 KV 头），头维度 %5，%6 M 参数",
    "MoA Studio — %1": "MoA Studio — %1",
    "<b>Model</b> none": "<b>模型</b> 无",
    "MoA Studio": "MoA Studio",
    "%1 (%2 samples)": "%1（%2 个样本）",
    "<b>Profile</b> %1: %2%3": "<b>剖析</b> %1：%2%3",
    " — incomplete": " — 不完整",
    "<b>Profile</b> none (File ▸ Open Profile)": "<b>剖析</b> 无（文件 ▸ 打开剖析）",
    "<b>Plan</b> %1: %2 granularity": "<b>方案</b> %1：粒度 %2",
    "unsaved": "未保存",
    "<b>Plan</b> none (Run ▸ Solve Plan, or File ▸ Open Plan)": "<b>方案</b> 无（运行 ▸ 求解方案，或 文件 ▸ 打开方案）",
    "Cannot solve": "无法求解",
    "Cannot open": "无法打开",
    "%1: not a model directory, profile (.h5), plan (.json/.csv) or session":
        "%1：不是模型目录、剖析文件（.h5）、方案文件（.json/.csv）或会话",
    "(none)": "（无）",
    "Open checkpoint directory": "打开检查点目录",
    "Open profile": "打开剖析",
    "MoA profiles (*.moaprof.h5 *.h5)": "MoA 剖析文件 (*.moaprof.h5 *.h5)",
    "Open plan B": "打开方案 B",
    "Open plan": "打开方案",
    "Plans (*.moaplan.json *.json *.csv)": "方案文件 (*.moaplan.json *.json *.csv)",
    "Save plan": "保存方案",
    "MoA plans (*.moaplan.json)": "MoA 方案文件 (*.moaplan.json)",
    "Cannot save": "无法保存",
    "Export plan": "导出方案",
    "MoA reference JSON (*.json);;MoA reference CSV (*.csv)": "MoA 参考 JSON (*.json);;MoA 参考 CSV (*.csv)",
    "Cannot export": "无法导出",
    "Export figure": "导出图表",
    "PNG image (*.png);;PDF document (*.pdf)": "PNG 图像 (*.png);;PDF 文档 (*.pdf)",
    "Export head grid values": "导出头网格数值",
    "CSV (*.csv)": "CSV (*.csv)",
    "Export plan table": "导出方案表",
    "Export profile": "导出剖析",
    "MoA profiles (*.moaprof.h5)": "MoA 剖析文件 (*.moaprof.h5)",
    "Save session": "保存会话",
    "Sessions (*.moasession.json)": "会话文件 (*.moasession.json)",
    "Open session": "打开会话",
    "Set rule of layer %1 unit %2 to %3": "将第 %1 层单元 %2 的规则设为 %3",
    "Lock layer %1 unit %2": "锁定第 %1 层单元 %2",
    "Unlock layer %1 unit %2": "解锁第 %1 层单元 %2",
    "Set budget at %1 tokens to %2": "将 %1 token 处的预算设为 %2",
    "Budgets and live preview per length (edit a budget in place)": "各长度的预算与实时预览（可直接编辑预算）",
    "Max rules per layer": "每层最多规则数",
    "K distinct rules per layer (0: no limit)": "每层最多 K 种不同规则（0：不限）",
    "Lock": "锁定",
    "Keep the selected heads' rules when re-solving": "重新求解时保留所选头的规则",
    "Unlock": "解锁",
    "Re-solve": "重新求解",
    "Lock heads": "锁定头",
    "Unlock heads": "解锁头",
    "Length": "长度",
    "Budget": "预算",
    "Density": "密度",
    "Layer": "层",
    "KV head": "KV 头",
    "Head": "头",
    "Alpha": "Alpha",
    "Beta": "Beta",
    "Locked": "已锁定",
    "Density @%1": "密度 @%1",
    "Loss @%1": "损失 @%1",
    "Span of the selected heads' rules (Ctrl+click heads in the grid to add)": "所选头规则的跨度（在网格中按住 Ctrl 点击以添加头）",
    "input length N (tokens)": "输入长度 N（token）",
    "span S(N) (tokens)": "跨度 S(N)（token）",
    "dense (S = N)": "稠密（S = N）",
    "budget x N": "预算 × N",
    "L%1 H%2 %3": "L%1 H%2 %3",
    "profiled %1": "已剖析 %1",
    "Profile not opened: %1": "未能打开剖析：%1",
    "Model not opened: %1": "未能打开模型：%1",
    "Compare profile not opened: %1": "未能打开比较剖析：%1",
    "Opening model %1": "正在打开模型 %1",
    "Demo model not bundled: using a random tiny checkpoint in %1": "未附带演示模型：改用 %1 中的随机微型检查点",
    "Preparing a random tiny model": "正在准备随机微型模型",
    "Opening profile %1": "正在打开剖析 %1",
    "Solving plan": "正在求解方案",
    "%1: loss %2, density %3": "%1：损失 %2，密度 %3",
    "Solved in %1 s (%2)": "求解用时 %1 秒（%2）",
    "%1 (edited)": "%1（已编辑）",
    "Measure every head's attention influence on the open model (writes a *.moaprof.h5)":
        "测量当前模型每个注意力头的影响（写入 *.moaprof.h5）",
    "Cannot profile": "无法剖析",
    "Open profile B": "打开剖析 B",
    "Profile model": "剖析模型",
    "Built-in demo records (byte vocabulary)": "内置演示记录（字节词表）",
    "Calibration file (jsonl)": "校准文件（jsonl）",
    "Browse…": "浏览…",
    "Resume a stopped run in this file": "在此文件中继续已停止的运行",
    "Lengths (tokens)": "长度（token）",
    "Samples per length": "每个长度的样本数",
    "Records": "记录",
    "Output": "输出",
    "Calibration file": "校准文件",
    "JSON lines (*.jsonl)": "JSON 行 (*.jsonl)",
    "Profile output": "剖析输出",
    "Profiling %1": "正在剖析 %1",
    "Measuring retrieval accuracy": "正在测量检索准确率",
    "Measured retrieval accuracy at %1 tokens: %2 of %3 prompts (%4 %), density %5":
        "%1 token 处实测检索准确率：%3 个提示中答对 %2 个（%4 %），密度 %5",
    "Accuracy not measured: %1": "未测量准确率：%1",
    "Measuring retrieval accuracy…": "正在测量检索准确率…",
    "refreshing…": "正在刷新…",
    "Measure accuracy in the background": "在后台测量准确率",
    "Retrieval accuracy of the edited plan on a few fresh prompts of the demo task, re-measured after each edit":
        "在演示任务的若干新提示上测量所编辑方案的检索准确率，每次编辑后重新测量",
}


def main(path):
    tree = ET.parse(path)
    missing = []
    for message in tree.getroot().iter("message"):
        source = message.find("source").text or ""
        translation = message.find("translation")
        if source not in ZH:
            missing.append(source)
            continue
        translation.text = ZH[source]
        translation.attrib.pop("type", None)
    if missing:
        sys.exit("no translation for:\n  " + "\n  ".join(missing))
    tree.write(path, encoding="utf-8", xml_declaration=True)
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    # Keep Linguist's DOCTYPE line, which ElementTree drops.
    text = text.replace("<?xml version='1.0' encoding='utf-8'?>\n", '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n', 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "translations/moa_studio_zh_CN.ts")
