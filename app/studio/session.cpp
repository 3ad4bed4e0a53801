#include "app/studio/session.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSettings>

#include <algorithm>

#include "core/util/error.h"
#include "core/util/files.h"

namespace moa::studio {

QJsonObject Session::toJson() const {
  QJsonObject o;
  o[QStringLiteral("format")] = QStringLiteral("moa-studio-session");
  o[QStringLiteral("version")] = 1;
  o[QStringLiteral("model")] = model;
  o[QStringLiteral("profile")] = profile;
  o[QStringLiteral("plan_path")] = plan_path;
  o[QStringLiteral("plan")] = plan_json;
  o[QStringLiteral("compare_plan")] = compare_plan;
  o[QStringLiteral("compare_profile")] = compare_profile;
  o[QStringLiteral("metric")] = metric;
  o[QStringLiteral("length")] = length;
  o[QStringLiteral("layer")] = layer;
  o[QStringLiteral("head")] = head;
  o[QStringLiteral("tab")] = tab;
  o[QStringLiteral("preview_length")] = preview_length;
  o[QStringLiteral("preview_prompts")] = preview_prompts;
  o[QStringLiteral("detail_scale")] = detail_scale;
  o[QStringLiteral("max_rules_per_layer")] = max_rules_per_layer;
  o[QStringLiteral("grid_alpha_step")] = grid_alpha_step;
  QJsonArray betas;
  for (double b : grid_betas) betas.append(b);
  o[QStringLiteral("grid_betas")] = betas;
  o[QStringLiteral("language")] = language;
  return o;
}

Session Session::fromJson(const QJsonObject& o) {
  Session s;
  s.model = o.value(QStringLiteral("model")).toString();
  s.profile = o.value(QStringLiteral("profile")).toString();
  s.plan_path = o.value(QStringLiteral("plan_path")).toString();
  s.plan_json = o.value(QStringLiteral("plan")).toString();
  s.compare_plan = o.value(QStringLiteral("compare_plan")).toString();
  s.compare_profile = o.value(QStringLiteral("compare_profile")).toString();
  s.metric = o.value(QStringLiteral("metric")).toString();
  s.length = o.value(QStringLiteral("length")).toInteger();
  s.layer = o.value(QStringLiteral("layer")).toInt(-1);
  s.head = o.value(QStringLiteral("head")).toInt(-1);
  s.tab = o.value(QStringLiteral("tab")).toInt(0);
  // Sessions written before these keys existed get the defaults.
  s.preview_length = o.value(QStringLiteral("preview_length")).toInteger(0);
  s.preview_prompts = o.value(QStringLiteral("preview_prompts")).toInt(4);
  s.detail_scale = o.value(QStringLiteral("detail_scale")).toString();
  s.max_rules_per_layer = o.value(QStringLiteral("max_rules_per_layer")).toInt(2);
  // A hand-edited session gets the values the Rule grid dialog could have produced: the step
  // within its range, betas in [0, 1] (anything else is dropped).
  s.grid_alpha_step = std::clamp(o.value(QStringLiteral("grid_alpha_step")).toDouble(0.0), 0.0, 65536.0);
  for (const QJsonValue& b : o.value(QStringLiteral("grid_betas")).toArray())
    if (b.isDouble() && b.toDouble() >= 0.0 && b.toDouble() <= 1.0) s.grid_betas.push_back(b.toDouble());
  s.language = o.value(QStringLiteral("language")).toString();
  return s;
}

void session_save(const Session& s, const QString& path) {
  const QByteArray bytes = QJsonDocument(s.toJson()).toJson(QJsonDocument::Indented);
  write_file_atomic(path.toStdString(), std::string_view(bytes.constData(), static_cast<size_t>(bytes.size())));
}

Session session_load(const QString& path) {
  const std::string text = read_text_file(path.toStdString());
  QJsonParseError error;
  const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(text), &error);
  if (doc.isNull()) fail_file(path.toStdString(), "not JSON: " + error.errorString().toStdString());
  if (doc.object().value(QStringLiteral("format")).toString() != QStringLiteral("moa-studio-session"))
    fail_file(path.toStdString(), "not a moa-studio session (no \"format\": \"moa-studio-session\")");
  return Session::fromJson(doc.object());
}

QStringList recent_files() {
  QSettings settings;
  QStringList out;
  for (const QString& p : settings.value(QStringLiteral("recent_files")).toStringList())
    if (QFileInfo::exists(p)) out << p;
  return out;
}

void recent_files_add(const QString& path) {
  QSettings settings;
  QStringList list = settings.value(QStringLiteral("recent_files")).toStringList();
  const QString abs = QFileInfo(path).absoluteFilePath();
  list.removeAll(abs);
  list.prepend(abs);
  while (list.size() > 10) list.removeLast();
  settings.setValue(QStringLiteral("recent_files"), list);
}

DocumentKind document_kind(const QString& path) {
  const QFileInfo info(path);
  if (info.isDir()) return DocumentKind::Model;
  const QString name = info.fileName().toLower();
  if (name.endsWith(QStringLiteral(".h5")) || name.endsWith(QStringLiteral(".hdf5"))) return DocumentKind::Profile;
  if (name.endsWith(QStringLiteral(".moasession.json"))) return DocumentKind::Session;
  if (name.endsWith(QStringLiteral(".json")) || name.endsWith(QStringLiteral(".csv"))) return DocumentKind::Plan;
  return DocumentKind::Unknown;
}

}  // namespace moa::studio
