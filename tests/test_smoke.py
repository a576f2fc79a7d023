"""The panel starts, the login page is Chinese and demo accounts can sign in."""


def test_login_page_is_chinese(client):
    page = client.get("/login/").get_data(as_text=True)
    assert "用户名" in page and "密码" in page


def test_demo_clerk_signs_in(login_as):
    web = login_as("zz_clerk")
    home = web.get("/").get_data(as_text=True)
    assert "郑州市第一中学" in home and "经办岗" in home
