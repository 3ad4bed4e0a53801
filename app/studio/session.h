#pragma once
// Sessions (JSON) and recent files (QSettings). A session names the documents and the view
// state, and carries the plan under edit inline, so unsaved edits survive a restart.
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace moa::studio {

struct Session {
  QString model;            // checkpoint dir ("" = demo model)
  QString profile;          // *.moaprof.h5
  QString plan_path;        // where the plan came from (may be empty)
  QString plan_json;        // the plan under edit, our schema ("" = none)
  QString compare_plan;
  QString compare_profile;
  QString metric;           // grid metric key
  qint64 length = 0;
  int layer = -1;
  int head = -1;
  int tab = 0;
  qint64 preview_length = 0;  // accuracy preview: prompt length (0: the longest offered)
  int preview_prompts = 4;    // accuracy preview: prompt count
  QString detail_scale;       // head detail colour scale: "shared" | "per_head" ("": default)
  int max_rules_per_layer = 2;      // solver: K rules per layer (0: no limit)
  double grid_alpha_step = 0.0;     // solver's rule grid (RuleGridChoice): 0 / empty = automatic
  std::vector<double> grid_betas;
  QString language;         // "en" | "zh_CN" | "" (system)

  QJsonObject toJson() const;
  static Session fromJson(const QJsonObject& o);
};

// Throw moa::Error naming the file on failure.
void session_save(const Session& s, const QString& path);
Session session_load(const QString& path);

// Most recent first, at most 10, only paths that still exist.
QStringList recent_files();
void recent_files_add(const QString& path);

enum class DocumentKind { Model, Profile, Plan, Session, Unknown };
DocumentKind document_kind(const QString& path);

}  // namespace moa::studio
