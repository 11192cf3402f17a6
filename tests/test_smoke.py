def test_home_lists_the_coops(client, coop, other_coop):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="fr"' in body
    assert "/c/coop-a/" in body and "/c/coop-b/" in body
