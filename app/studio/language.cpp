#include "app/studio/language.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

namespace moa::studio {

namespace {

QTranslator* app_translator = nullptr;
QTranslator* qt_translator = nullptr;
QString active = QStringLiteral("en");

}  // namespace

QString language_apply(const QString& code) {
  QString want = code;
  if (want.isEmpty()) want = QLocale().name().startsWith(QStringLiteral("zh")) ? QStringLiteral("zh_CN") : QStringLiteral("en");
  for (QTranslator** t : {&app_translator, &qt_translator}) {
    if (*t) {
      QCoreApplication::removeTranslator(*t);
      delete *t;
      *t = nullptr;
    }
  }
  active = QStringLiteral("en");
  if (want == QStringLiteral("zh_CN")) {
    auto* tr = new QTranslator;
    // Embedded in moa-studio; tools and tests that link the library alone point
    // MOA_STUDIO_QM_DIR at the build's compiled catalogue instead.
    const bool loaded = tr->load(QStringLiteral(":/i18n/moa_studio_zh_CN.qm")) ||
                        tr->load(QStringLiteral("moa_studio_zh_CN"), qEnvironmentVariable("MOA_STUDIO_QM_DIR"));
    if (loaded) {
      QCoreApplication::installTranslator(tr);
      app_translator = tr;
      active = want;
      auto* qt = new QTranslator;
      if (qt->load(QStringLiteral("qtbase_zh_CN"), QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
        QCoreApplication::installTranslator(qt);
        qt_translator = qt;
      } else {
        delete qt;
      }
    } else {
      delete tr;
    }
  }
  return active;
}

QString language_current() { return active; }

}  // namespace moa::studio
