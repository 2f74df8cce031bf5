"""Settings: the only module that reads the environment (LIMNER_*).

Everything else receives these values as arguments. Defaults make a fresh checkout work: the policies shipped in the
repository, a SQLite file under `./var/`, the server on 127.0.0.1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_REPO_POLICIES = Path(__file__).resolve().parents[2] / "policies"


@dataclass(frozen=True)
class Settings:
    db_url: str
    policy_dir: Path
    default_profile: str
    data_dir: Path
    host: str
    port: int
    admin_token: str | None
    datasets_dir: Path | None = None  # shared evaluation datasets (LIMNER_DATASETS_DIR); read by `limner eval`

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        data_dir = Path(env.get("LIMNER_DATA_DIR", "var")).expanduser()
        return cls(
            db_url=env.get("LIMNER_DB_URL", f"sqlite:///{data_dir / 'limner.db'}"),
            policy_dir=Path(env.get("LIMNER_POLICY_DIR", str(_REPO_POLICIES))).expanduser(),
            default_profile=env.get("LIMNER_PROFILE", "default"),
            data_dir=data_dir,
            host=env.get("LIMNER_HOST", "127.0.0.1"),
            port=int(env.get("LIMNER_PORT", "8000")),
            admin_token=env.get("LIMNER_ADMIN_TOKEN") or None,
            datasets_dir=Path(env["LIMNER_DATASETS_DIR"]).expanduser() if env.get("LIMNER_DATASETS_DIR") else None,
        )

    def policy_path(self, profile: str | None = None) -> Path:
        return self.policy_dir / f"{profile or self.default_profile}.yaml"
