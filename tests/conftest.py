import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")
# Tests must not see a profile or overrides from the shell that runs them.
for _key in list(os.environ):
    if _key.startswith("CYCLEGAN_LESSON_"):
        del os.environ[_key]
