import os

from flask import Flask

from flask_stackauth import StackAuth, current_user, login_required

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]  # signs the session cookie that holds the tokens
stack = StackAuth(app)  # STACK_* settings come from app.config, else from the environment


@app.get("/")
def home() -> str:
    if current_user.is_authenticated:
        return f'Signed in as {current_user.primary_email}. <a href="/auth/logout">Sign out</a>'
    return '<a href="/auth/login?next=/dashboard">Sign in</a>'


@app.get("/dashboard")
@login_required
def dashboard() -> str:
    return f"Hello {current_user.display_name or current_user.primary_email}"
