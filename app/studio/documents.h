#pragma once
// The model and profile documents of a workspace. Both are filled by background jobs
// (Workspace) and only ever touched on the GUI thread; the data they hand out is immutable
// and shared, so worker threads (solve, preview) can read it while the GUI moves on.
#include <QObject>
#include <QString>

#include <cstdint>
#include <memory>

#include "app/studio/profile_data.h"
#include "core/model/checkpoint.h"
#include "core/profile/profile_store.h"

namespace moa::studio {


class ModelDocument : public QObject {
  Q_OBJECT
 public:
  using QObject::QObject;
  std::shared_ptr<const Checkpoint> checkpoint() const { return checkpoint_; }
  QString path() const { return path_; }
  // Set when the model is not the user's choice (e.g. the random stand-in for the demo).
  QString note() const { return note_; }
  void set(std::shared_ptr<const Checkpoint> checkpoint, const QString& path, const QString& note);
  void clear();

 signals:
  void changed();

 private:
  std::shared_ptr<const Checkpoint> checkpoint_;
  QString path_;
  QString note_;
};

class ProfileDocument : public QObject {
  Q_OBJECT
 public:
  using QObject::QObject;
  ProfileDataPtr data() const { return data_; }
  bool isEmpty() const { return !data_ || data_->lengths.empty(); }
  // True once every length of the file arrived; false while loading or after Stop.
  bool isComplete() const { return complete_; }

  // Stages, in order: begin (meta), addLength per length, finish.
  void begin(const ProfileMeta& meta, const QString& path);
  void addLength(std::shared_ptr<const LengthProfile> length, InfluenceSummary summary);
  void finish(bool complete);
  void clear();

 signals:
  void reset();
  void lengthAdded(qint64 length);
  void finished(bool complete);

 private:
  ProfileDataPtr data_;
  bool complete_ = false;
};

}  // namespace moa::studio
