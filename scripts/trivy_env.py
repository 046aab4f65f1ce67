"""Running Trivy offline for comparisons: an empty Java DB with the real trivy-java-db schema
(Trivy aborts on images with jars without one, and cannot download it offline)."""
import json, os, sqlite3


def java_db(cache):
    d = os.path.join(cache, "java-db")
    os.makedirs(d, exist_ok=True)
    db = sqlite3.connect(os.path.join(d, "trivy-java.db"))
    db.executescript("""
      CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);
      CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT,
                           foreign key (artifact_id) references artifacts(id));
      CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id);
      CREATE INDEX indices_artifact_idx ON indices(artifact_id);
      CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1);""")
    db.close()
    json.dump({"Version": 1, "NextUpdate": "2100-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z",
               "DownloadedAt": "2026-01-01T00:00:00Z"}, open(os.path.join(d, "metadata.json"), "w"))
