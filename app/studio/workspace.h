#pragma once
// A workspace: the three documents (model, profile, plan), the selection the views share,
// and the background jobs that fill the documents. Views and tests drive the application
// through this object; the main window is a thin shell around it.
#include <QObject>
#include <QString>

#include <memory>
#include <optional>
#include <vector>

#include "app/studio/documents.h"
#include "app/studio/job_tracker.h"
#include "app/studio/plan_document.h"
#include "core/data/demo_data.h"
#include "core/plan/loss_table.h"

namespace moa::studio {

struct HeadRef {
  int layer = -1;
  int head = -1;  // query head
  bool valid() const { return layer >= 0 && head >= 0; }
  bool operator==(const HeadRef& o) const { return layer == o.layer && head == o.head; }
};

struct ProfileOptions {
  std::vector<int64_t> lengths;  // multiples of 64, within the model's context
  int64_t samples = 4;           // per length
  QString calib_file;            // calibration jsonl; empty: the built-in demo records
  QString out;                   // *.moaprof.h5
  bool resume = false;           // continue a stopped run in `out`
  bool overwrite = false;        // replace `out` if it exists (else an existing file is an error)
};

struct CalibOptions {
  QString input;                  // documents jsonl (context, question[, answer]); empty: the demo task
  std::vector<int64_t> lengths;   // multiples of 64
  int count = 4;                  // demo task: records per length
  int64_t max_new_tokens = 32;    // answers the model writes itself (model alignment)
  QString out;                    // calibration jsonl
};
struct AccuracyOptions {
  int64_t length = 0;  // prompt length in tokens; 0: the longest profiled length (<= model context)
  int prompts = 4;     // answer depths spread evenly through the context
  uint64_t seed = kDemoPreviewSeed;
};

// The solver's candidate rules as the user chose them (moa solve --alpha-step / --betas):
// alpha from -shortest to longest profiled length in steps of alpha_step, beta from `betas`,
// kept where rule_check accepts the rule at every profiled length.
struct RuleGridChoice {
  double alpha_step = 0.0;    // tokens; 0: automatic (a quarter of the shortest length, 64..1024)
  std::vector<double> betas;  // empty: DESIGN §4's {0, 1/8, ..., 1}
  bool automatic() const { return alpha_step <= 0.0 && betas.empty(); }
  bool operator==(const RuleGridChoice&) const = default;
};
RuleGridSpec solve_grid_spec(const std::vector<int64_t>& lengths, const RuleGridChoice& choice);

struct SolveOptions {
  int max_rules_per_layer = 2;  // K of DESIGN §4 (the paper's 2)
  double min_fraction = 0.0;
  double time_limit_s = 20.0;
  RuleGridChoice grid;
};

class Workspace : public QObject {
  Q_OBJECT
 public:
  explicit Workspace(QObject* parent = nullptr);
  ~Workspace() override;

  ModelDocument* model() { return &model_; }
  ProfileDocument* profile() { return &profile_; }
  PlanDocument* plan() { return &plan_; }
  JobTracker* modelJobs() { return &model_jobs_; }
  JobTracker* profileJobs() { return &profile_jobs_; }
  JobTracker* solveJobs() { return &solve_jobs_; }
  JobTracker* accuracyJobs() { return &accuracy_jobs_; }
  JobTracker* calibJobs() { return &calib_jobs_; }
  JobTracker* compareJobs() { return &compare_jobs_; }

  // Jobs; each returns its id. Results land in the documents in stages.
  quint64 openModel(const QString& dir, const QString& note = QString());
  // The bundled demo model when present, else a random tiny checkpoint written to a temp dir
  // (note() then says so).
  quint64 openDemoModel();
  quint64 openProfile(const QString& path);
  // Profiles the open model (core profile_run) into options.out, then opens the result.
  // Stop ends the run within about a second; finished samples stay in the file (resume).
  quint64 runProfile(const ProfileOptions& options);
  // Builds a calibration set for the open model (core calib_build: the model answers the
  // documents' questions itself, contexts middle-truncated to each length; or the demo task's
  // records) and writes options.out; calibrationBuilt() names the file when done.
  quint64 buildCalibration(const CalibOptions& options);
  // Lengths to offer for the open model: 2k/4k/8k capped by its context.
  std::vector<int64_t> defaultProfileLengths() const;
  // Solves with the current plan's budgets and locks (or 50% density at every profiled
  // length for a first plan). Needs a profile.
  quint64 solve(const SolveOptions& options = {});
  // Measured retrieval accuracy of the current plan on a few fresh prompts of the demo task
  // (core eval_run, truly sparse attention as the plan says): the live preview's second,
  // slower half. Each call supersedes the previous measurement.
  quint64 measureAccuracy(const AccuracyOptions& options = {});
  // Plans open synchronously (small JSON/CSV); throws moa::Error with the file name, also for
  // a plan of another shape than the open profile or model, or of another model (content hash)
  // than the open profile: its preview would be priced on that other model's influence.
  void openPlan(const QString& path);
  void savePlan(const QString& path);

  // Compare targets ("B" side); A is the current document.
  ProfileDataPtr compareProfile() const { return compare_profile_; }
  const std::optional<Plan>& comparePlan() const { return compare_plan_; }
  QString comparePlanPath() const { return compare_plan_path_; }
  quint64 openCompareProfile(const QString& path);
  void openComparePlan(const QString& path);

  // Shared selection.
  int64_t currentLength() const { return current_length_; }
  void setCurrentLength(int64_t length);
  HeadRef currentHead() const { return current_head_; }
  void setCurrentHead(HeadRef head);
  const std::vector<HeadRef>& selectedHeads() const { return selected_; }
  void setSelectedHeads(std::vector<HeadRef> heads);
  // Plan unit of a query head (its KV head for kv_head plans).
  int unitOf(int head) const;

  static QString demoModelDir();

  // What the open model, profile and plan disagree on (shape, or the model's content hash);
  // empty when they fit together. documentsMismatch says each new disagreement once a replaced
  // document arrived and no model or profile is still loading.
  QStringList mismatches() const;

 signals:
  void currentLengthChanged(qint64 length);
  void currentHeadChanged();
  void selectionChanged();
  void compareChanged();
  void message(const QString& text);  // one-line notes for the status bar
  void solveFailed(const QString& text);
  void documentsMismatch(const QString& text);
  void calibrationBuilt(const QString& path, int records);
  // Result of measureAccuracy (only for the current measurement).
  void accuracyMeasured(qint64 length, int correct, int total, double density);

 private:
  quint64 loadProfileInto(JobTracker* jobs, const QString& path, bool compare);
  void checkDocuments();
  // Worker side of a profile load: reads the file, then delivers meta, each length, finish.
  // Snapshot: a file the profiler is writing (or, stopped, has left): lengths without a finished
  // sample are skipped and the document stays incomplete. After Stop (snapshot_after_stop) the
  // read is not itself stopped: the run's finished samples are what the user wants to see.
  enum class LoadMode { complete, snapshot, snapshot_after_stop };
  void loadStages(JobContext& job, const std::filesystem::path& file, const QString& path, bool compare,
                  double from, LoadMode mode = LoadMode::complete);
  std::shared_ptr<const LossTable> cachedTable(ProfileDataPtr profile, Granularity g, const std::vector<Rule>& grid);

  ModelDocument model_;
  ProfileDocument profile_;
  PlanDocument plan_;
  JobTracker model_jobs_;
  JobTracker profile_jobs_;
  JobTracker solve_jobs_;
  JobTracker compare_jobs_;
  JobTracker accuracy_jobs_;
  JobTracker calib_jobs_;
  ProfileDataPtr compare_profile_;
  std::shared_ptr<ProfileData> compare_building_;
  std::optional<Plan> compare_plan_;
  QString compare_plan_path_;
  quint64 profile_load_began_ = 0;  // id of the load that last reset the profile document
  QStringList last_mismatches_;     // what was said; each disagreement is said once
  int64_t current_length_ = 0;
  HeadRef current_head_;
  std::vector<HeadRef> selected_;
  // Loss tables depend only on profile + granularity: kept so a re-solve after an edit
  // skips the O(L*H*nb^2) build (DESIGN §7: re-solve <= 1 s).
  struct TableCache {
    std::weak_ptr<const ProfileData> profile;
    Granularity granularity = Granularity::kv_head;
    std::vector<Rule> grid;  // exactly the table's columns: the candidate grid plus locked rules off it
    std::shared_ptr<const LossTable> table;
  };
  std::shared_ptr<TableCache> table_cache_;
};

}  // namespace moa::studio
