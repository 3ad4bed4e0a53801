#include "app/studio/documents.h"

namespace moa::studio {

void ModelDocument::set(std::shared_ptr<const Checkpoint> checkpoint, const QString& path,
                        const QString& note) {
  checkpoint_ = std::move(checkpoint);
  path_ = path;
  note_ = note;
  emit changed();
}

void ModelDocument::clear() { set(nullptr, QString(), QString()); }

void ProfileDocument::begin(const ProfileMeta& meta, const QString& path) {
  auto d = std::make_shared<ProfileData>();
  d->meta = meta;
  d->path = path.toStdString();
  data_ = std::move(d);
  complete_ = false;
  emit reset();
}

void ProfileDocument::addLength(std::shared_ptr<const LengthProfile> length, InfluenceSummary summary) {
  if (!data_) return;
  // Copy-on-write of the small map: holders of the previous snapshot keep a consistent view.
  auto d = std::make_shared<ProfileData>(*data_);
  const qint64 n = length->length;
  d->lengths[n] = std::move(length);
  d->summaries[n] = std::move(summary);
  data_ = std::move(d);
  emit lengthAdded(n);
}

void ProfileDocument::finish(bool complete) {
  complete_ = complete;
  emit finished(complete);
}

void ProfileDocument::clear() {
  data_.reset();
  complete_ = false;
  emit reset();
}

}  // namespace moa::studio
