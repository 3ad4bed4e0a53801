#include "app/studio/workspace.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <algorithm>

#include "core/model/config.h"
#include "core/plan/plan_io.h"
#include "core/solve/solve.h"
#include "core/util/error.h"

namespace moa::studio {

Workspace::Workspace(QObject* parent)
    : QObject(parent), table_cache_(std::make_shared<TableCache>()) {
  // A stopped or failed profile load leaves the lengths that fully arrived: mark the
  // document incomplete and price the plan against what is there.
  connect(&profile_jobs_, &JobTracker::finished, this, [this](quint64 id, JobOutcome outcome, const QString& text) {
    if (outcome != JobOutcome::Done) {
      // Only a load that already replaced the document leaves it incomplete; one that failed
      // before its first stage (unreadable file) leaves the previous profile as it was.
      if (id == profile_load_began_) profile_.finish(false);
      if (outcome == JobOutcome::Failed) emit message(tr("Profile not opened: %1").arg(text));
    }
  });
  connect(&profile_, &ProfileDocument::finished, this, [this] { plan_.setProfile(profile_.data()); });
  connect(&profile_, &ProfileDocument::lengthAdded, this, [this](qint64 n) {
    if (current_length_ == 0) setCurrentLength(n);
  });
  connect(&profile_, &ProfileDocument::reset, this, [this] {
    current_length_ = 0;
    setCurrentHead({});
  });
  connect(&model_jobs_, &JobTracker::finished, this, [this](quint64, JobOutcome outcome, const QString& text) {
    if (outcome == JobOutcome::Failed) emit message(tr("Model not opened: %1").arg(text));
  });
  connect(&solve_jobs_, &JobTracker::finished, this, [this](quint64, JobOutcome outcome, const QString& text) {
    if (outcome == JobOutcome::Failed) emit solveFailed(text);
  });
  connect(&compare_jobs_, &JobTracker::finished, this, [this](quint64, JobOutcome outcome, const QString& text) {
    if (outcome == JobOutcome::Failed) emit message(tr("Compare profile not opened: %1").arg(text));
  });
  // A model, profile or plan replaced: say whether they still fit together. Checked when the
  // loads end (a restored session replaces model and profile one after the other).
  connect(&model_jobs_, &JobTracker::finished, this, &Workspace::checkDocuments);
  connect(&profile_jobs_, &JobTracker::finished, this, &Workspace::checkDocuments);
  connect(&plan_, &PlanDocument::planReset, this, &Workspace::checkDocuments);
}

QStringList Workspace::mismatches() const {
  QStringList out;
  std::shared_ptr<const Checkpoint> ck = model_.checkpoint();
  ProfileDataPtr prof = profile_.data();
  const Plan* plan = plan_.hasPlan() ? &plan_.plan() : nullptr;
  const auto shape = [](int64_t layers, int64_t heads, int64_t kv) {
    return tr("%1 layers × %2 heads (%3 KV)").arg(layers).arg(heads).arg(kv);
  };
  const auto short_hash = [](const std::string& h) { return QString::fromStdString(h.substr(0, 16)); };
  if (ck && prof) {
    const ModelConfig& c = ck->config();
    const ProfileMeta& m = prof->meta;
    if (c.num_layers != m.num_layers || c.num_heads != m.num_heads || c.num_kv_heads != m.num_kv_heads)
      out << tr("the model has %1 but the profile has %2")
                 .arg(shape(c.num_layers, c.num_heads, c.num_kv_heads), shape(m.num_layers, m.num_heads, m.num_kv_heads));
    else if (model_hash_known(m.model_hash) && m.model_hash != ck->content_hash())
      out << tr("the profile is of model %1, the open model is %2").arg(short_hash(m.model_hash), short_hash(ck->content_hash()));
  }
  if (plan) {
    const auto validate = [&](int layers, int heads, int kv, const QString& what) {
      try {
        plan_validate(*plan, layers, heads, kv, "plan");
      } catch (const std::exception& e) {
        out << tr("the plan does not fit the %1: %2").arg(what, QString::fromStdString(e.what()));
        return false;
      }
      return true;
    };
    if (prof && validate(prof->meta.num_layers, prof->meta.num_heads, prof->meta.num_kv_heads, tr("profile")) &&
        model_hash_known(plan->model_hash) && model_hash_known(prof->meta.model_hash) && plan->model_hash != prof->meta.model_hash)
      out << tr("the plan is for model %1, the profile is of model %2")
                 .arg(short_hash(plan->model_hash), short_hash(prof->meta.model_hash));
    if (ck) {
      const ModelConfig& c = ck->config();
      if (validate(static_cast<int>(c.num_layers), static_cast<int>(c.num_heads), static_cast<int>(c.num_kv_heads),
                   tr("model")) &&
          model_hash_known(plan->model_hash) && plan->model_hash != ck->content_hash())
        out << tr("the plan is for model %1, the open model is %2")
                   .arg(short_hash(plan->model_hash), short_hash(ck->content_hash()));
    }
  }
  return out;
}

void Workspace::checkDocuments() {
  if (model_jobs_.isRunning() || profile_jobs_.isRunning()) return;
  // Said when something disagrees that did not before (not again when, say, clearing the plan
  // leaves the rest of an earlier disagreement).
  const QStringList now = mismatches();
  const bool news = std::any_of(now.begin(), now.end(), [this](const QString& m) { return !last_mismatches_.contains(m); });
  last_mismatches_ = now;
  if (news) emit documentsMismatch(now.join(QStringLiteral("; ")));
}

Workspace::~Workspace() {
  // Stop everything before the documents the delivered results would touch go away.
  for (JobTracker* jobs : {&model_jobs_, &profile_jobs_, &solve_jobs_, &compare_jobs_, &accuracy_jobs_, &calib_jobs_}) jobs->stop();
  for (JobTracker* jobs : {&model_jobs_, &profile_jobs_, &solve_jobs_, &compare_jobs_, &accuracy_jobs_, &calib_jobs_})
    jobs->waitForDone();
}

QString Workspace::demoModelDir() {
  const QString env = qEnvironmentVariable("MOA_DEMO_MODEL");
  QStringList candidates;
  if (!env.isEmpty()) candidates << env;
  candidates << QCoreApplication::applicationDirPath() + QStringLiteral("/../share/moa/demo-model")
             << QStringLiteral(MOA_STUDIO_SOURCE_DIR "/resources/demo-model");
  for (const QString& dir : candidates)
    if (QFileInfo::exists(dir + QStringLiteral("/config.json"))) return QDir::cleanPath(dir);
  return QString();
}

quint64 Workspace::openModel(const QString& dir, const QString& note) {
  const std::filesystem::path path = dir.toStdString();
  return model_jobs_.start(tr("Opening model %1").arg(dir), [this, path, dir, note](JobContext& job) {
    job.progress(0.0, tr("reading config.json and mapping weights"));
    std::shared_ptr<const Checkpoint> ck = Checkpoint::open(path);
    job.deliver([this, ck, dir, note] { model_.set(ck, dir, note); });
    job.progress(1.0, tr("model ready"));
  });
}

quint64 Workspace::openDemoModel() {
  const QString demo = demoModelDir();
  if (!demo.isEmpty()) return openModel(demo, QString());
  // The trained demo model is not bundled in this build: stand in a random tiny checkpoint
  // so every view still has a model, and say so.
  const QString dir = QDir(QStandardPaths::writableLocation(QStandardPaths::TempLocation))
                          .filePath(QStringLiteral("moa-studio-random-tiny"));
  const QString note = tr("Demo model not bundled: using a random tiny checkpoint in %1").arg(dir);
  return model_jobs_.start(tr("Preparing a random tiny model"), [this, dir, note](JobContext& job) {
    const std::filesystem::path path = dir.toStdString();
    if (!std::filesystem::exists(path / "model.safetensors")) {
      job.progress(0.1, tr("writing random weights (preset 'tiny')"));
      checkpoint_write_random(config_preset("tiny"), path, RandomCheckpointOptions{});
    }
    job.progress(0.6, tr("mapping weights"));
    std::shared_ptr<const Checkpoint> ck = Checkpoint::open(path);
    job.deliver([this, ck, dir, note] {
      model_.set(ck, dir, note);
      emit message(note);
    });
    job.progress(1.0, tr("model ready"));
  });
}

void Workspace::loadStages(JobContext& job, const std::filesystem::path& file, const QString& path, bool compare,
                           double from, LoadMode mode) {
  // A snapshot has no progress of its own, skips lengths without a finished sample, and the
  // document stays "incomplete".
  const bool partial = mode != LoadMode::complete;
  if (!partial) job.progress(from, tr("reading %1").arg(QString::fromStdString(file.filename().string())));
  Profile p = profile_read(file);
  const ProfileMeta meta = p.meta;
  const quint64 id = job.id();
  if (!compare)
    job.deliver([this, meta, path, id] {
      // One job resets the document once; its later snapshots replace lengths in place so
      // the selection and the views' state survive.
      if (profile_load_began_ == id) return;
      profile_load_began_ = id;
      profile_.begin(meta, path);
    });
  else
    job.deliver([this, meta, path] {
      compare_building_ = std::make_shared<ProfileData>();
      compare_building_->meta = meta;
      compare_building_->path = path.toStdString();
    });
  // Summaries per length, delivered one by one so the grid fills while the rest computes;
  // Stop takes effect between lengths.
  const double span = 1.0 - from;
  size_t done = 0;
  const size_t count = p.lengths.size();
  for (auto& [n, lp] : p.lengths) {
    const double f = from + span * (0.3 + 0.7 * static_cast<double>(done++) / static_cast<double>(count));
    const bool stop = mode == LoadMode::complete ? !job.progress(f, tr("summarising length %1").arg(n))
                                                 : mode == LoadMode::snapshot && job.stopRequested();
    if (stop) throw Cancelled();
    if (partial && lp.samples_done() == 0) continue;
    auto shared = std::make_shared<const LengthProfile>(std::move(lp));
    InfluenceSummary summary = influence_summarize(*shared, meta.num_layers, meta.num_heads);
    if (!compare) {
      job.deliver([this, shared, summary = std::move(summary)]() mutable {
        profile_.addLength(shared, std::move(summary));
      });
    } else {
      job.deliver([this, shared, summary = std::move(summary)]() mutable {
        compare_building_->lengths[shared->length] = shared;
        compare_building_->summaries[shared->length] = std::move(summary);
      });
    }
  }
  // A snapshot is not an end: `finished` (which reprices the plan, and which callers wait
  // on) comes once, from the final read or from the tracker when the run stops.
  if (compare) {
    job.deliver([this] {
      compare_profile_ = std::move(compare_building_);
      emit compareChanged();
    });
  } else if (!partial) {
    job.deliver([this] { profile_.finish(true); });
  }
  if (!partial) job.progress(1.0, tr("profile ready"));
}

quint64 Workspace::loadProfileInto(JobTracker* jobs, const QString& path, bool compare) {
  const std::filesystem::path file = path.toStdString();
  return jobs->start(tr("Opening profile %1").arg(QFileInfo(path).fileName()),
                     [this, file, path, compare](JobContext& job) { loadStages(job, file, path, compare, 0.0); });
}

quint64 Workspace::openProfile(const QString& path) { return loadProfileInto(&profile_jobs_, path, false); }

quint64 Workspace::openCompareProfile(const QString& path) {
  return loadProfileInto(&compare_jobs_, path, true);
}

void Workspace::openPlan(const QString& path) {
  Plan p = plan_read(path.toStdString());
  if (ProfileDataPtr prof = profile_.data()) {
    plan_validate(p, prof->meta.num_layers, prof->meta.num_heads, prof->meta.num_kv_heads, path.toStdString());
    if (model_hash_known(p.model_hash) && model_hash_known(prof->meta.model_hash) && p.model_hash != prof->meta.model_hash)
      fail_file(path.toStdString(), "the plan is for model " + p.model_hash + " but the open profile is of model " +
                                        prof->meta.model_hash + " (" + prof->path + "); open that model's profile first");
  } else if (auto ck = model_.checkpoint())
    plan_validate(p, static_cast<int>(ck->config().num_layers), static_cast<int>(ck->config().num_heads),
                  static_cast<int>(ck->config().num_kv_heads), path.toStdString());
  plan_.setPlan(std::move(p), path);
}

void Workspace::savePlan(const QString& path) {
  if (!plan_.hasPlan()) throw Error("no plan to save");
  const std::filesystem::path file = path.toStdString();
  const PlanFormat format = plan_format_from_path(file);
  plan_write(file, plan_.plan(), format);
  if (format == PlanFormat::moa) {
    plan_.setPath(path);
    plan_.undoStack()->setClean();
  }
}

void Workspace::openComparePlan(const QString& path) {
  compare_plan_ = plan_read(path.toStdString());
  compare_plan_path_ = path;
  emit compareChanged();
}

std::shared_ptr<const LossTable> Workspace::cachedTable(ProfileDataPtr profile, Granularity g,
                                                        const std::vector<Rule>& grid) {
  if (table_cache_->table && table_cache_->profile.lock() == profile && table_cache_->granularity == g &&
      table_cache_->grid == grid)
    return table_cache_->table;
  return nullptr;
}

void Workspace::setCurrentLength(int64_t length) {
  if (length == current_length_) return;
  current_length_ = length;
  emit currentLengthChanged(length);
}

void Workspace::setCurrentHead(HeadRef head) {
  if (head == current_head_) return;
  current_head_ = head;
  emit currentHeadChanged();
}

void Workspace::setSelectedHeads(std::vector<HeadRef> heads) {
  selected_ = std::move(heads);
  emit selectionChanged();
}

int Workspace::unitOf(int head) const {
  if (!plan_.hasPlan()) return head;
  return head / plan_.plan().group_size();
}

}  // namespace moa::studio
