#include "app/studio/core_progress.h"

#include <QCoreApplication>

namespace moa::studio {

namespace {

// The same literals as core/util/progress_formats.h: lupdate reads only literals.
const char* const kFormats[] = {
    QT_TRANSLATE_NOOP("CoreProgress", "loading %1"),
    QT_TRANSLATE_NOOP("CoreProgress", "length %1, sample %2/%3: forward layer %4"),
    QT_TRANSLATE_NOOP("CoreProgress", "length %1, sample %2/%3: backward layer %4"),
    QT_TRANSLATE_NOOP("CoreProgress", "length %1, sample %2/%3: writing %4"),
    QT_TRANSLATE_NOOP("CoreProgress", "length %1, sample %2/%3 done, answer loss %4"),
    QT_TRANSLATE_NOOP("CoreProgress", "length %1: record %2/%3"),
    QT_TRANSLATE_NOOP("CoreProgress", "length %1: the model answers record %2"),
    QT_TRANSLATE_NOOP("CoreProgress", "done"),
    QT_TRANSLATE_NOOP("CoreProgress", "%1: prompt %2/%3 (%4 tokens) correct"),
    QT_TRANSLATE_NOOP("CoreProgress", "%1: prompt %2/%3 (%4 tokens) wrong"),
    QT_TRANSLATE_NOOP("CoreProgress", "%1: perplexity record %2/%3"),
    QT_TRANSLATE_NOOP("CoreProgress", "generated %1/%2"),
};

}  // namespace

QString core_progress_text(const moa::ProgressText& message) {
  // Free text ("%1") has no entry and comes back unchanged. One-pass substitution, so an
  // argument containing "%2" (a file name) is not substituted again.
  const QByteArray format = QCoreApplication::translate("CoreProgress", message.format).toUtf8();
  return QString::fromStdString(moa::progress_substitute(format.toStdString(), message.args));
}

std::vector<const char*> core_progress_formats() { return {std::begin(kFormats), std::end(kFormats)}; }

}  // namespace moa::studio
