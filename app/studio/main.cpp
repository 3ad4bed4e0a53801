// moa-studio: opens with the demo model ready; paths on the command line (checkpoint dirs,
// *.moaprof.h5, plans, *.moasession.json) are opened by kind.
#include <QApplication>
#include <QCommandLineParser>

#include <cstdio>
#include <string>

#include "app/studio/language.h"
#include "app/studio/main_window.h"
#include "app/studio/report_figures.h"
#include "app/studio/workspace.h"

int main(int argc, char** argv) {
  // Headless figure export (moa pipeline calls this): no display needed.
  if (argc >= 3 && std::string(argv[1]) == "--report-figures") {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStringList results;
    for (int i = 3; i < argc; ++i) results << QString::fromLocal8Bit(argv[i]);
    try {
      for (const QString& f : moa::studio::report_figures(results, QString::fromLocal8Bit(argv[2])))
        std::printf("wrote %s\n", qPrintable(f));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "moa-studio --report-figures: %s\n", e.what());
      return 1;
    }
    return 0;
  }
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("moa"));
  QApplication::setApplicationName(QStringLiteral("moa-studio"));
  QApplication::setApplicationVersion(QStringLiteral(MOA_VERSION));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("MoA Studio: attention heads, plans, budgets"));
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption language({QStringLiteral("l"), QStringLiteral("language")},
                              QStringLiteral("UI language: en or zh_CN (default: the system locale)"),
                              QStringLiteral("code"));
  parser.addOption(language);
  parser.addPositionalArgument(QStringLiteral("paths"), QStringLiteral("model dirs, profiles, plans or sessions"));
  parser.process(app);

  moa::studio::language_apply(parser.value(language));
  moa::studio::MainWindow window;
  window.setLanguageOverride(parser.value(language));
  const QStringList paths = parser.positionalArguments();
  bool model_given = false, session_given = false;
  for (const QString& p : paths) {
    const auto kind = moa::studio::document_kind(p);
    model_given = model_given || kind == moa::studio::DocumentKind::Model;
    session_given = session_given || kind == moa::studio::DocumentKind::Session;
  }
  // First run needs no file dialog: the demo model is open unless something else was asked.
  if (!model_given && !session_given) window.workspace()->openDemoModel();
  for (const QString& p : paths) window.openPath(p);
  window.show();
  return app.exec();
}
