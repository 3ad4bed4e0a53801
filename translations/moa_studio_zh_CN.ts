<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>CoreProgress</name>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="11" />
        <source>loading %1</source>
        <translation>正在加载 %1</translation>
    </message>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="12" />
        <source>length %1, sample %2/%3: forward layer %4</source>
        <translation>长度 %1，样本 %2/%3：前向 第 %4 层</translation>
    </message>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="13" />
        <source>length %1, sample %2/%3: backward layer %4</source>
        <translation>长度 %1，样本 %2/%3：反向 第 %4 层</translation>
    </message>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="14" />
        <source>length %1, sample %2/%3: writing %4</source>
        <translation>长度 %1，样本 %2/%3：正在写入 %4</translation>
    </message>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="15" />
        <source>length %1, sample %2/%3 done, answer loss %4</source>
        <translation>长度 %1，样本 %2/%3 完成，回答损失 %4</translation>
    </message>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="16" />
        <source>length %1: record %2/%3</source>
        <translation>长度 %1：记录 %2/%3</translation>
    </message>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="17" />
        <source>length %1: the model answers record %2</source>
        <translation>长度 %1：模型正在回答记录 %2</translation>
    </message>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="18" />
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="19" />
        <source>%1: prompt %2/%3 (%4 tokens) correct</source>
        <translation>%1：提示 %2/%3（%4 个词元）正确</translation>
    </message>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="20" />
        <source>%1: prompt %2/%3 (%4 tokens) wrong</source>
        <translation>%1：提示 %2/%3（%4 个词元）错误</translation>
    </message>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="21" />
        <source>%1: perplexity record %2/%3</source>
        <translation>%1：困惑度记录 %2/%3</translation>
    </message>
    <message>
        <location filename="../app/studio/core_progress.cpp" line="22" />
        <source>generated %1/%2</source>
        <translation>已生成 %1/%2</translation>
    </message>
</context>
<context>
    <name>GridMetric</name>
    <message>
        <location filename="../app/studio/grid_metric.cpp" line="15" />
        <source>Far influence (share outside N/8)</source>
        <translation>远程影响（N/8 窗口外占比）</translation>
    </message>
    <message>
        <location filename="../app/studio/grid_metric.cpp" line="16" />
        <source>Total influence</source>
        <translation>总影响</translation>
    </message>
    <message>
        <location filename="../app/studio/grid_metric.cpp" line="17" />
        <source>Plan span (tokens)</source>
        <translation>方案跨度（token）</translation>
    </message>
    <message>
        <location filename="../app/studio/grid_metric.cpp" line="18" />
        <source>Plan density</source>
        <translation>方案密度</translation>
    </message>
    <message>
        <location filename="../app/studio/grid_metric.cpp" line="19" />
        <source>Predicted loss</source>
        <translation>预测损失</translation>
    </message>
</context>
<context>
    <name>moa::studio::CalibDialog</name>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="19" />
        <source>Build calibration set</source>
        <translation>构建校准集</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="24" />
        <source>Demo task records, answered by the open model</source>
        <translation>演示任务记录，由打开的模型作答</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="25" />
        <source>Documents with questions (jsonl), answered by the open model</source>
        <translation>带问题的文档（jsonl），由打开的模型作答</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="31" />
        <location filename="../app/studio/calib_dialog.cpp" line="36" />
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="45" />
        <source>Lengths (tokens)</source>
        <translation>长度（token）</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="46" />
        <source>Records</source>
        <translation>记录</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="47" />
        <source>Records per length</source>
        <translation>每个长度的记录数</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="50" />
        <source>Answer tokens (at most)</source>
        <translation>回答词元数（上限）</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="51" />
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="65" />
        <source>Documents with questions (jsonl)</source>
        <translation>带问题的文档（jsonl）</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="66" />
        <source>JSON lines (*.jsonl);;All files (*)</source>
        <translation>JSON 行文件 (*.jsonl);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="73" />
        <source>Save calibration set</source>
        <translation>保存校准集</translation>
    </message>
    <message>
        <location filename="../app/studio/calib_dialog.cpp" line="73" />
        <location filename="../app/studio/calib_dialog.cpp" line="95" />
        <source>JSON lines (*.jsonl)</source>
        <translation>JSON 行 (*.jsonl)</translation>
    </message>
</context>
<context>
    <name>moa::studio::CompareView</name>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="79" />
        <source>Compare plans</source>
        <translation>比较方案</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="79" />
        <source>Compare profiles</source>
        <translation>比较剖析</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="82" />
        <source>Open plan B…</source>
        <translation>打开方案 B…</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="82" />
        <source>Open profile B…</source>
        <translation>打开剖析 B…</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="121" />
        <source>N = %1</source>
        <translation>N = %1</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="132" />
        <source>current plan</source>
        <translation>当前方案</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="133" />
        <source>%1 (edited)</source>
        <translation>%1（已编辑）</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="134" />
        <source>plan B (none: open one)</source>
        <translation>方案 B（无：请打开一个）</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="138" />
        <source>current profile</source>
        <translation>当前剖析</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="139" />
        <source>profile B (none: open one)</source>
        <translation>剖析 B（无：请打开一个）</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="141" />
        <source>A: %1</source>
        <translation>A：%1</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="142" />
        <source>B: %1</source>
        <translation>B：%1</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="143" />
        <source>A − B</source>
        <translation>A − B</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="156" />
        <source>no data at N = %1 for this metric</source>
        <translation>在 N = %1 时没有该指标的数据</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="158" />
        <source>Solve or open a plan</source>
        <translation>请求解或打开一个方案</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="158" />
        <source>Open a profile</source>
        <translation>请打开分析结果</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="159" />
        <source>A has %1</source>
        <translation>A %1</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="161" />
        <source>Open plan B to compare</source>
        <translation>打开方案 B 以进行对比</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="161" />
        <source>Open profile B to compare</source>
        <translation>打开分析结果 B 以进行对比</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="162" />
        <source>B has %1</source>
        <translation>B %1</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="175" />
        <source>%1 of %2 heads differ; mean |A − B| = %3</source>
        <translation>%2 个头中有 %1 个不同；平均 |A − B| = %3</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="180" />
        <source>No difference at N = %1: a side has no data there.</source>
        <translation>N = %1 时无差异图：其中一方在该长度没有数据。</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="181" />
        <source>Open both sides to see the difference.</source>
        <translation>打开两侧后即可查看差异。</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="182" />
        <source>A and B have different shapes: no difference map.</source>
        <translation>A 与 B 形状不同：无法生成差异图。</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="184" />
        <source>difference</source>
        <translation>差值</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="185" />
        <source>No difference to draw</source>
        <translation>没有可绘制的差异</translation>
    </message>
    <message>
        <location filename="../app/studio/compare_view.cpp" line="186" />
        <source>A and B have different shapes</source>
        <translation>A 与 B 的形状不同</translation>
    </message>
</context>
<context>
    <name>moa::studio::HeadDetailView</name>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="90" />
        <source>Reset zoom</source>
        <translation>重置缩放</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="91" />
        <source>Colours</source>
        <translation>配色</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="95" />
        <source>shared by all heads</source>
        <translation>所有头共用</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="96" />
        <source>per head</source>
        <translation>每个头单独</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="98" />
        <source>Shared: one colour range for every head of the profile at this length, so colours compare across heads. Per head: each head's own maximum, to read a weak head's structure.</source>
        <translation>共用：该长度下剖析中的所有头使用同一颜色范围，颜色可在头之间比较。每个头单独：按各头自身的最大值着色，便于看清弱头的结构。</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="100" />
        <source>key block (64 tokens)</source>
        <translation>键块（64 个 token）</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="101" />
        <source>query block</source>
        <translation>查询块</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="153" />
        <source>No influence for layer %1 head %2 at this length</source>
        <translation>第 %1 层第 %2 头在此长度下没有影响数据</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="184" />
        <source>%1 – %2, all heads</source>
        <translation>%1 – %2，所有头</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="184" />
        <source>%1 – %2, this head</source>
        <translation>%1 – %2，当前头</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="185" />
        <source>pooled influence |E|</source>
        <translation>池化影响 |E|</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="152" />
        <source>Click a head in the grid to see its influence map</source>
        <translation>在网格中点击一个头以查看其影响图</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="151" />
        <source>Open a profile to see a head's influence map</source>
        <translation>打开剖析以查看头的影响图</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="189" />
        <source>Layer %1, head %2 at %3 tokens (%4 x %4 blocks)</source>
        <translation>第 %1 层，第 %2 头，长度 %3 token（%4 × %4 块）</translation>
    </message>
    <message>
        <location filename="../app/studio/head_detail_view.cpp" line="193" />
        <source>rule %1: sink + band of %2 blocks, density %3</source>
        <translation>规则 %1：汇聚块 + %2 块带宽，密度 %3</translation>
    </message>
</context>
<context>
    <name>moa::studio::HeadGridView</name>
    <message>
        <location filename="../app/studio/head_grid_view.cpp" line="65" />
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <location filename="../app/studio/head_grid_view.cpp" line="66" />
        <source>at length</source>
        <translation>长度</translation>
    </message>
    <message>
        <location filename="../app/studio/head_grid_view.cpp" line="71" />
        <source>head</source>
        <translation>头</translation>
    </message>
    <message>
        <location filename="../app/studio/head_grid_view.cpp" line="72" />
        <source>layer</source>
        <translation>层</translation>
    </message>
    <message>
        <location filename="../app/studio/head_grid_view.cpp" line="110" />
        <source>Open a profile to see the heads
(%1)</source>
        <translation>打开剖析以查看各头
（%1）</translation>
    </message>
    <message>
        <location filename="../app/studio/head_grid_view.cpp" line="112" />
        <source>Solve or open a plan to see the heads
(%1)</source>
        <translation>求解或打开方案以查看各头
（%1）</translation>
    </message>
    <message>
        <location filename="../app/studio/head_grid_view.cpp" line="114" />
        <source>Nothing to show at this length
(%1)</source>
        <translation>此长度下没有可显示的内容
（%1）</translation>
    </message>
    <message>
        <location filename="../app/studio/head_grid_view.cpp" line="142" />
        <source>layer %1, head %2</source>
        <translation>第 %1 层，第 %2 头</translation>
    </message>
    <message>
        <location filename="../app/studio/head_grid_view.cpp" line="144" />
        <source> (KV head %1)</source>
        <translation>（KV 头 %1）</translation>
    </message>
    <message>
        <location filename="../app/studio/head_grid_view.cpp" line="147" />
        <source>rule %1</source>
        <translation>规则 %1</translation>
    </message>
</context>
<context>
    <name>moa::studio::MainWindow</name>
    <message>
        <location filename="../app/studio/main_window.cpp" line="88" />
        <source>Solve failed</source>
        <translation>求解失败</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="90" />
        <source>The open documents do not match</source>
        <translation>打开的文档彼此不匹配</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="92" />
        <source>Compare profile not opened</source>
        <translation>未能打开对比分析结果</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="187" />
        <source>About MoA Studio</source>
        <translation>关于 MoA Studio</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="188" />
        <source>MoA Studio %1
Mixture of Sparse Attention: inspect attention heads, edit and solve compression plans.</source>
        <translation>MoA Studio %1
混合稀疏注意力：查看注意力头，编辑并求解压缩方案。</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="219" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="220" />
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="221" />
        <source>&amp;Export</source>
        <translation>导出(&amp;E)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="222" />
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="223" />
        <source>&amp;Run</source>
        <translation>运行(&amp;R)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="224" />
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="225" />
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="226" />
        <source>Open &amp;Model…</source>
        <translation>打开模型(&amp;M)…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="227" />
        <source>Open &amp;Demo Model</source>
        <translation>打开演示模型(&amp;D)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="228" />
        <source>Open &amp;Profile…</source>
        <translation>打开剖析(&amp;P)…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="229" />
        <source>Open P&amp;lan…</source>
        <translation>打开方案(&amp;L)…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="230" />
        <source>&amp;Save Plan</source>
        <translation>保存方案(&amp;S)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="231" />
        <source>Save Plan &amp;As…</source>
        <translation>方案另存为(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="232" />
        <source>Plan in MoA Reference Format (JSON/CSV)…</source>
        <translation>MoA 参考格式方案（JSON/CSV）…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="233" />
        <source>Current Figure (PNG/PDF)…</source>
        <translation>当前图表（PNG/PDF）…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="234" />
        <source>Head Grid Values (CSV)…</source>
        <translation>头网格数值（CSV）…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="235" />
        <source>Plan Table (CSV)…</source>
        <translation>方案表（CSV）…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="236" />
        <source>Profile (HDF5)…</source>
        <translation>剖析（HDF5）…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="237" />
        <source>Open Session…</source>
        <translation>打开会话…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="238" />
        <source>Save Session…</source>
        <translation>保存会话…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="239" />
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="254" />
        <source>Lock Selected Heads</source>
        <translation>锁定所选头</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="255" />
        <source>Unlock Selected Heads</source>
        <translation>解锁所选头</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="256" />
        <source>&amp;Profile Model…</source>
        <translation>剖析模型(&amp;P)…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="257" />
        <source>Measure every head's attention influence on the open model (writes a *.moaprof.h5)</source>
        <translation>测量当前模型每个注意力头的影响（写入 *.moaprof.h5）</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="258" />
        <source>Build &amp;Calibration Set…</source>
        <translation>构建校准集(&amp;C)…</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="259" />
        <source>The open model answers long documents' questions itself (model-aligned calibration data)</source>
        <translation>由当前模型自行回答长文档中的问题（与模型对齐的校准数据）</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="260" />
        <source>&amp;Solve Plan</source>
        <translation>求解方案(&amp;S)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="261" />
        <source>S&amp;top Job</source>
        <translation>停止任务(&amp;T)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="266" />
        <source>&amp;About MoA Studio</source>
        <translation>关于 MoA Studio(&amp;A)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="267" />
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="268" />
        <source>Head detail</source>
        <translation>头详情</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="269" />
        <source>Rule plot</source>
        <translation>规则曲线</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="270" />
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="301" />
        <source>%1: stopped</source>
        <translation>%1：已停止</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="303" />
        <source>%1: failed: %2</source>
        <translation>%1：失败：%2</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="306" />
        <source>%1: failed</source>
        <translation>%1：失败</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="309" />
        <source>%1: done</source>
        <translation>%1：完成</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="318" />
        <source>&lt;b&gt;Model&lt;/b&gt; %1: %2 layers, %3 heads (%4 KV), head dim %5, %6 M parameters</source>
        <translation>&lt;b&gt;模型&lt;/b&gt; %1：%2 层，%3 个头（%4 个 KV 头），头维度 %5，%6 M 参数</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="324" />
        <source>MoA Studio — %1</source>
        <translation>MoA Studio — %1</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="326" />
        <source>&lt;b&gt;Model&lt;/b&gt; none</source>
        <translation>&lt;b&gt;模型&lt;/b&gt; 无</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="327" />
        <source>MoA Studio</source>
        <translation>MoA Studio</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="331" />
        <source>%1 (%2 samples)</source>
        <translation>%1（%2 个样本）</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="332" />
        <source>&lt;b&gt;Profile&lt;/b&gt; %1: %2%3</source>
        <translation>&lt;b&gt;剖析&lt;/b&gt; %1：%2%3</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="334" />
        <source> — incomplete</source>
        <translation> — 不完整</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="336" />
        <source>&lt;b&gt;Profile&lt;/b&gt; none (File ▸ Open Profile)</source>
        <translation>&lt;b&gt;剖析&lt;/b&gt; 无（文件 ▸ 打开剖析）</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="340" />
        <source>&lt;b&gt;Plan&lt;/b&gt; %1: %2 granularity</source>
        <translation>&lt;b&gt;方案&lt;/b&gt; %1：粒度 %2</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="341" />
        <source>unsaved</source>
        <translation>未保存</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="342" />
        <source>KV head</source>
        <translation>KV 头</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="342" />
        <source>head</source>
        <translation>头</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="344" />
        <source>&lt;b&gt;Plan&lt;/b&gt; none (Run ▸ Solve Plan, or File ▸ Open Plan)</source>
        <translation>&lt;b&gt;方案&lt;/b&gt; 无（运行 ▸ 求解方案，或 文件 ▸ 打开方案）</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="363" />
        <location filename="../app/studio/main_window_files.cpp" line="113" />
        <source>Cannot profile</source>
        <translation>无法剖析</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window.cpp" line="374" />
        <source>Cannot solve</source>
        <translation>无法求解</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="148" />
        <source>Unsaved plan</source>
        <translation>方案未保存</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="148" />
        <source>The plan has edits that are not saved. Save them?</source>
        <translation>方案有尚未保存的修改。要保存吗？</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="57" />
        <location filename="../app/studio/main_window_files.cpp" line="62" />
        <location filename="../app/studio/main_window_files.cpp" line="100" />
        <location filename="../app/studio/main_window_files.cpp" line="264" />
        <source>Cannot open</source>
        <translation>无法打开</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="57" />
        <source>%1: not a model directory, profile (.h5), plan (.json/.csv) or session</source>
        <translation>%1：不是模型目录、剖析文件（.h5）、方案文件（.json/.csv）或会话</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="69" />
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="75" />
        <source>Open checkpoint directory</source>
        <translation>打开检查点目录</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="80" />
        <source>Open profile</source>
        <translation>打开剖析</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="81" />
        <location filename="../app/studio/main_window_files.cpp" line="94" />
        <source>MoA profiles (*.moaprof.h5 *.h5)</source>
        <translation>MoA 剖析文件 (*.moaprof.h5 *.h5)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="91" />
        <source>Open plan B</source>
        <translation>打开方案 B</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="86" />
        <source>Open plan</source>
        <translation>打开方案</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="86" />
        <location filename="../app/studio/main_window_files.cpp" line="92" />
        <source>Plans (*.moaplan.json *.json *.csv)</source>
        <translation>方案文件 (*.moaplan.json *.json *.csv)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="93" />
        <source>Open profile B</source>
        <translation>打开剖析 B</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="126" />
        <source>Cannot build the calibration set</source>
        <translation>无法构建校准集</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="133" />
        <source>Save plan</source>
        <translation>保存方案</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="133" />
        <source>MoA plans (*.moaplan.json)</source>
        <translation>MoA 方案文件 (*.moaplan.json)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="141" />
        <location filename="../app/studio/main_window_files.cpp" line="284" />
        <source>Cannot save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="160" />
        <source>MoA reference JSON (*.json)</source>
        <translation>MoA 参考 JSON (*.json)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="160" />
        <source>MoA reference CSV (*.csv)</source>
        <translation>MoA 参考 CSV (*.csv)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="162" />
        <source>Export plan</source>
        <translation>导出方案</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="168" />
        <location filename="../app/studio/main_window_files.cpp" line="183" />
        <location filename="../app/studio/main_window_files.cpp" line="193" />
        <location filename="../app/studio/main_window_files.cpp" line="203" />
        <location filename="../app/studio/main_window_files.cpp" line="213" />
        <source>Cannot export</source>
        <translation>无法导出</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="176" />
        <source>Export figure</source>
        <translation>导出图表</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="176" />
        <source>PNG image (*.png);;PDF document (*.pdf)</source>
        <translation>PNG 图像 (*.png);;PDF 文档 (*.pdf)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="188" />
        <source>Export head grid values</source>
        <translation>导出头网格数值</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="188" />
        <location filename="../app/studio/main_window_files.cpp" line="198" />
        <source>CSV (*.csv)</source>
        <translation>CSV (*.csv)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="198" />
        <source>Export plan table</source>
        <translation>导出方案表</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="208" />
        <source>Export profile</source>
        <translation>导出剖析</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="208" />
        <source>MoA profiles (*.moaprof.h5)</source>
        <translation>MoA 剖析文件 (*.moaprof.h5)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="277" />
        <source>Save session</source>
        <translation>保存会话</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="277" />
        <location filename="../app/studio/main_window_files.cpp" line="289" />
        <source>Sessions (*.moasession.json)</source>
        <translation>会话文件 (*.moasession.json)</translation>
    </message>
    <message>
        <location filename="../app/studio/main_window_files.cpp" line="289" />
        <source>Open session</source>
        <translation>打开会话</translation>
    </message>
</context>
<context>
    <name>moa::studio::PlanDocument</name>
    <message>
        <location filename="../app/studio/plan_document.cpp" line="80" />
        <source>Set rule of layer %1 unit %2 to %3</source>
        <translation>将第 %1 层单元 %2 的规则设为 %3</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_document.cpp" line="94" />
        <source>Lock layer %1 unit %2</source>
        <translation>锁定第 %1 层单元 %2</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_document.cpp" line="95" />
        <source>Unlock layer %1 unit %2</source>
        <translation>解锁第 %1 层单元 %2</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_document.cpp" line="106" />
        <source>Set budget at %1 tokens to %2</source>
        <translation>将 %1 token 处的预算设为 %2</translation>
    </message>
</context>
<context>
    <name>moa::studio::PlanEditor</name>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="179" />
        <source>Measured retrieval accuracy at %1 tokens: %2 of %3 prompts (%4 %), density %5</source>
        <translation>%1 token 处实测检索准确率：%3 个提示中答对 %2 个（%4 %），密度 %5</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="161" />
        <location filename="../app/studio/plan_editor.cpp" line="230" />
        <source>Accuracy not measured: %1</source>
        <translation>未测量准确率：%1</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="172" />
        <source>Measuring retrieval accuracy…</source>
        <translation>正在测量检索准确率…</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="173" />
        <source>refreshing…</source>
        <translation>正在刷新…</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="245" />
        <source>Budgets and live preview per length (edit a budget in place)</source>
        <translation>各长度的预算与实时预览（可直接编辑预算）</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="246" />
        <source>Max rules per layer</source>
        <translation>每层最多规则数</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="247" />
        <source>K distinct rules per layer (0: no limit)</source>
        <translation>每层最多 K 种不同规则（0：不限）</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="248" />
        <source>Lock</source>
        <translation>锁定</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="249" />
        <source>Keep the selected heads' rules when re-solving</source>
        <translation>重新求解时保留所选头的规则</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="250" />
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="251" />
        <source>Re-solve</source>
        <translation>重新求解</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="279" />
        <source>Rule grid…</source>
        <translation>规则网格…</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="279" />
        <source>Rule grid (custom)…</source>
        <translation>规则网格（自定义）…</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="282" />
        <source>%1 tokens</source>
        <translation>%1 个词元</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="282" />
        <location filename="../app/studio/plan_editor.cpp" line="285" />
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="283" />
        <source>Candidate rules the next solve chooses from (moa solve --alpha-step / --betas). Alpha step: %1; betas: %2</source>
        <translation>下次求解时可选的候选规则（moa solve --alpha-step / --betas）。Alpha 步长：%1；beta：%2</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="253" />
        <source>Measure accuracy in the background</source>
        <translation>在后台测量准确率</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="254" />
        <source>Retrieval accuracy of the edited plan on a few fresh prompts of the demo task, re-measured after each edit</source>
        <translation>在演示任务的若干新提示上测量所编辑方案的检索准确率，每次编辑后重新测量</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="255" />
        <source>at</source>
        <translation>长度</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="256" />
        <source>Prompt length in tokens (a profiled length within the model's context)</source>
        <translation>提示长度（token；模型上下文以内的已剖析长度）</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="257" />
        <source>prompts</source>
        <translation>提示数</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="258" />
        <source>Number of prompts, answers spread evenly through the context (same as moa eval --demo-length N --prompts P)</source>
        <translation>提示数量，答案均匀分布在上下文中（与 moa eval --demo-length N --prompts P 相同）</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="293" />
        <source>Lock heads</source>
        <translation>锁定头</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_editor.cpp" line="293" />
        <source>Unlock heads</source>
        <translation>解锁头</translation>
    </message>
</context>
<context>
    <name>moa::studio::PlanSummaryModel</name>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="237" />
        <source>Above the budget: re-solve</source>
        <translation>超出预算：请重新求解</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="240" />
        <source>Prefill work: the fraction of the causal (query, key) pairs the plan computes. It follows prefill time; the density (KV cache kept) follows memory and decode time.</source>
        <translation>预填充计算量：方案实际计算的因果 (query, key) 对所占比例，决定预填充时间；密度（保留的 KV 缓存比例）决定显存占用和解码时间。</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="263" />
        <source>Length</source>
        <translation>长度</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="264" />
        <source>Budget</source>
        <translation>预算</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="265" />
        <source>Density</source>
        <translation>密度</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="266" />
        <source>Prefill work</source>
        <translation>预填充计算量</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="267" />
        <source>Predicted loss</source>
        <translation>预测损失</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="284" />
        <source>A density budget is a fraction of the KV cache, above 0 and at most 1 (got "%1")</source>
        <translation>密度预算是 KV 缓存的比例，须大于 0 且不超过 1（输入为“%1”）</translation>
    </message>
</context>
<context>
    <name>moa::studio::PlanTableModel</name>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="116" />
        <source>Span = alpha + beta × N tokens. Edit a cell with one number, or with "alpha; beta" to set both at once</source>
        <translation>跨度 = alpha + beta × N 个词元。单元格中输入一个数，或输入“alpha; beta”同时设置两者</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="123" />
        <source>Layer</source>
        <translation>层</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="124" />
        <source>KV head</source>
        <translation>KV 头</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="124" />
        <source>Head</source>
        <translation>头</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="125" />
        <source>Alpha</source>
        <translation>Alpha</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="126" />
        <source>Beta</source>
        <translation>Beta</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="129" />
        <source>Locked</source>
        <translation>已锁定</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="132" />
        <source>Density @%1</source>
        <translation>密度 @%1</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="133" />
        <source>Loss @%1</source>
        <translation>损失 @%1</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="160" />
        <source>Enter one number, or alpha and beta as "alpha; beta": %1</source>
        <translation>请输入一个数，或以“alpha; beta”形式输入 alpha 和 beta：%1</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="166" />
        <source>Not a number: "%1"</source>
        <translation>不是数字：“%1”</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="180" />
        <source> (to change alpha and beta together, enter "alpha; beta")</source>
        <translation>（如需同时修改 alpha 和 beta，请输入“alpha; beta”）</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="202" />
        <source>Not a number: %1</source>
        <translation>不是数字：%1</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="192" />
        <source>Beta is a fraction of the length, from 0 to 1 (got %1)</source>
        <translation>Beta 是长度的比例，取值 0 到 1（输入为 %1）</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="194" />
        <source>Rule %1 spans %2 tokens at %3: alpha + beta × N must be above 0 at the shortest length</source>
        <translation>规则 %1 在 %3 处的跨度为 %2 个 token：alpha + beta × N 在最短长度处必须大于 0</translation>
    </message>
    <message>
        <location filename="../app/studio/plan_table_model.cpp" line="197" />
        <source>Rule %1 spans %2 tokens at %3: alpha + beta × N must be at most N at every length</source>
        <translation>规则 %1 在 %3 处的跨度为 %2 个 token：alpha + beta × N 在每个长度处都不得超过 N</translation>
    </message>
</context>
<context>
    <name>moa::studio::ProfileDialog</name>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="21" />
        <source>Profile model</source>
        <translation>剖析模型</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="29" />
        <source>Built-in demo records (byte vocabulary)</source>
        <translation>内置演示记录（字节词表）</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="30" />
        <source>Calibration file (jsonl)</source>
        <translation>校准文件（jsonl）</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="33" />
        <location filename="../app/studio/profile_dialog.cpp" line="35" />
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="36" />
        <source>Resume a stopped run in this file</source>
        <translation>在此文件中继续已停止的运行</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="37" />
        <source>Replace this file if it exists</source>
        <translation>若此文件已存在则替换它</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="46" />
        <source>Lengths (tokens)</source>
        <translation>长度（token）</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="47" />
        <source>Samples per length</source>
        <translation>每个长度的样本数</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="48" />
        <source>Records</source>
        <translation>记录</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="51" />
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="66" />
        <source>Calibration file</source>
        <translation>校准文件</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="66" />
        <source>JSON lines (*.jsonl)</source>
        <translation>JSON 行 (*.jsonl)</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="75" />
        <source>Profile output</source>
        <translation>剖析输出</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="75" />
        <source>MoA profiles (*.moaprof.h5)</source>
        <translation>MoA 剖析文件 (*.moaprof.h5)</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="112" />
        <source>%1 already exists.</source>
        <translation>%1 已存在。</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="114" />
        <source>Resume the run in it (same model, settings and calibration records), or replace it? Replacing loses the profile it holds.</source>
        <translation>继续其中的运行（相同的模型、设置和校准记录），还是替换它？替换将丢失其中的剖析数据。</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="116" />
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <location filename="../app/studio/profile_dialog.cpp" line="117" />
        <source>Replace</source>
        <translation>替换</translation>
    </message>
</context>
<context>
    <name>moa::studio::RuleGridDialog</name>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="22" />
        <source>Rule grid</source>
        <translation>规则网格</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="30" />
        <source>automatic (%1)</source>
        <translation>自动（%1）</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="31" />
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="39" />
        <source>automatic: %1</source>
        <translation>自动：%1</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="43" />
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="48" />
        <source>Candidate rules for the solver: span = alpha + beta × N, alpha from −%1 to %2 in steps, each beta below; a rule is kept when it is valid at every profiled length (%3).</source>
        <translation>求解器的候选规则：跨度 = alpha + beta × N，alpha 从 −%1 到 %2 按步长取值，beta 取下列各值；仅保留在每个已分析长度（%3）上都有效的规则。</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="56" />
        <source>Alpha step</source>
        <translation>Alpha 步长</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="57" />
        <source>Betas</source>
        <translation>Beta 值</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="103" />
        <source>Betas are fractions of the length from 0 to 1, separated by commas: "%1" is not one</source>
        <translation>Beta 是长度的比例，取值 0 到 1，以逗号分隔：“%1”不是有效值</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="108" />
        <source>Open a profile first: the grid depends on the profiled lengths</source>
        <translation>请先打开分析结果：网格取决于已分析的长度</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="115" />
        <source>No rule of this grid is valid at every profiled length</source>
        <translation>此网格中没有在每个已分析长度上都有效的规则</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_grid_dialog.cpp" line="116" />
        <source>%1 candidate rules (of %2 alphas × %3 betas) per head; the loss table and the MILP grow with this number</source>
        <translation>每个头 %1 条候选规则（共 %2 个 alpha × %3 个 beta）；损失表和 MILP 的规模随此数增长</translation>
    </message>
</context>
<context>
    <name>moa::studio::RulePlotView</name>
    <message>
        <location filename="../app/studio/rule_plot_view.cpp" line="52" />
        <source>Span of the selected heads' rules (Ctrl+click heads in the grid to add)</source>
        <translation>所选头规则的跨度（在网格中按住 Ctrl 点击以添加头）</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_plot_view.cpp" line="53" />
        <source>input length N (tokens)</source>
        <translation>输入长度 N（token）</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_plot_view.cpp" line="54" />
        <source>span S(N) (tokens)</source>
        <translation>跨度 S(N)（token）</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_plot_view.cpp" line="66" />
        <source>Open a profile or a plan to see the rules' spans</source>
        <translation>打开剖析或方案以查看规则跨度</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_plot_view.cpp" line="78" />
        <source>dense (S = N)</source>
        <translation>稠密（S = N）</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_plot_view.cpp" line="87" />
        <source>span at budget (ρ·N − 64 sink)</source>
        <translation>预算对应的跨度（ρ·N − 64 个汇聚词元）</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_plot_view.cpp" line="108" />
        <source>L%1 H%2 %3</source>
        <translation>L%1 H%2 %3</translation>
    </message>
    <message>
        <location filename="../app/studio/rule_plot_view.cpp" line="130" />
        <source>profiled %1</source>
        <translation>已剖析 %1</translation>
    </message>
</context>
<context>
    <name>moa::studio::Workspace</name>
    <message>
        <location filename="../app/studio/workspace.cpp" line="26" />
        <source>Profile not opened: %1</source>
        <translation>未能打开剖析：%1</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="38" />
        <source>Model not opened: %1</source>
        <translation>未能打开模型：%1</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="44" />
        <source>Compare profile not opened: %1</source>
        <translation>未能打开比较剖析：%1</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="65" />
        <source>%1 layers × %2 heads (%3 KV)</source>
        <translation>%1 层 × %2 头（%3 个 KV 头）</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="72" />
        <source>the model has %1 but the profile has %2</source>
        <translation>模型为 %1，而分析结果为 %2</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="75" />
        <source>the profile is of model %1, the open model is %2</source>
        <translation>分析结果属于模型 %1，而打开的模型是 %2</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="82" />
        <source>the plan does not fit the %1: %2</source>
        <translation>方案与%1不符：%2</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="87" />
        <source>profile</source>
        <translation>分析结果</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="89" />
        <source>the plan is for model %1, the profile is of model %2</source>
        <translation>方案属于模型 %1，而分析结果属于模型 %2</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="94" />
        <source>model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="96" />
        <source>the plan is for model %1, the open model is %2</source>
        <translation>方案属于模型 %1，而打开的模型是 %2</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="133" />
        <source>Opening model %1</source>
        <translation>正在打开模型 %1</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="134" />
        <source>reading config.json and mapping weights</source>
        <translation>正在读取 config.json 并映射权重</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="137" />
        <location filename="../app/studio/workspace.cpp" line="161" />
        <source>model ready</source>
        <translation>模型已就绪</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="148" />
        <source>Demo model not bundled: using a random tiny checkpoint in %1</source>
        <translation>未附带演示模型：改用 %1 中的随机微型检查点</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="149" />
        <source>Preparing a random tiny model</source>
        <translation>正在准备随机微型模型</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="152" />
        <source>writing random weights (preset 'tiny')</source>
        <translation>正在写入随机权重（预设 'tiny'）</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="155" />
        <source>mapping weights</source>
        <translation>正在映射权重</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="170" />
        <source>reading %1</source>
        <translation>正在读取 %1</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="195" />
        <source>summarising length %1</source>
        <translation>正在汇总长度 %1</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="222" />
        <source>profile ready</source>
        <translation>分析结果已就绪</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace.cpp" line="227" />
        <source>Opening profile %1</source>
        <translation>正在打开剖析 %1</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_solve.cpp" line="80" />
        <source>Solving plan</source>
        <translation>正在求解方案</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_solve.cpp" line="84" />
        <source>building loss tables</source>
        <translation>正在构建损失表</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_solve.cpp" line="94" />
        <source>solving the MILP (CBC)</source>
        <translation>正在求解 MILP（CBC）</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_solve.cpp" line="105" />
        <source>building the plan</source>
        <translation>正在生成方案</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_solve.cpp" line="112" />
        <source>Re-solve</source>
        <translation>重新求解</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_solve.cpp" line="115" />
        <source>%1: loss %2, density %3</source>
        <translation>%1：损失 %2，密度 %3</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_solve.cpp" line="119" />
        <source>Solved in %1 s (%2)</source>
        <translation>求解用时 %1 秒（%2）</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_profile.cpp" line="77" />
        <source>Profiling %1</source>
        <translation>正在剖析 %1</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_accuracy.cpp" line="31" />
        <source>Measuring retrieval accuracy</source>
        <translation>正在测量检索准确率</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_calib.cpp" line="27" />
        <source>Building calibration set</source>
        <translation>正在构建校准集</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_calib.cpp" line="40" />
        <source>wrote %1 records</source>
        <translation>已写入 %1 条记录</translation>
    </message>
    <message>
        <location filename="../app/studio/workspace_calib.cpp" line="43" />
        <source>Calibration set: %1 records in %2</source>
        <translation>校准集：%1 条记录，位于 %2</translation>
    </message>
</context>
</TS>